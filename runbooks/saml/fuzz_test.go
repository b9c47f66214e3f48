package saml

import (
	"strings"
	"testing"
)

// FuzzParseMetadata: any input yields certificates or an error, never a
// panic, and every error names its source.
func FuzzParseMetadata(f *testing.F) {
	cert := newCertB64(f, "seed", 1, 45*day)
	f.Add(entity("https://idp", keyDesc{"signing", cert}))
	f.Add(entities(entity("https://a", keyDesc{"", wrap(cert, 64)}), entity("https://b")))
	f.Add(`<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`)
	f.Add(entity("https://idp", keyDesc{"signing", "@@@"}))
	f.Add(strings.Repeat("<a>", 100))
	f.Fuzz(func(t *testing.T, doc string) {
		certs, err := ParseMetadata("fuzz-src", strings.NewReader(doc), Limits{MaxBytes: 64 << 10})
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz-src") {
				t.Fatalf("error does not name the source: %v", err)
			}
			return
		}
		for _, c := range certs {
			if c.Source != "fuzz-src" || c.NotAfter.IsZero() {
				t.Fatalf("bad certificate %+v", c)
			}
		}
	})
}
