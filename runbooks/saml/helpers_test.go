package saml

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// testNow is the fixed "now" every test evaluates against.
var testNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// newCertB64 makes a self-signed certificate valid until now+validFor and
// returns it base64-encoded as it would appear in metadata.
func newCertB64(t testing.TB, cn string, serial int64, validFor time.Duration) string {
	t.Helper()
	return certValidBetween(t, cn, serial, testNow.Add(-400*day), testNow.Add(validFor))
}

// wrap breaks base64 into indented lines, as IdPs publish it.
func wrap(b64 string, width int) string {
	var lines []string
	for len(b64) > width {
		lines = append(lines, b64[:width])
		b64 = b64[width:]
	}
	lines = append(lines, b64)
	return "\n          " + strings.Join(lines, "\n          ") + "\n        "
}

type keyDesc struct{ use, b64 string }

// entity builds an md:EntityDescriptor with one IDPSSODescriptor holding keys.
func entity(id string, keys ...keyDesc) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="%s">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
`, id)
	for _, k := range keys {
		use := ""
		if k.use != "" {
			use = fmt.Sprintf(` use="%s"`, k.use)
		}
		fmt.Fprintf(&b, `    <md:KeyDescriptor%s>
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
`, use, k.b64)
	}
	fmt.Fprintf(&b, `    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://%s/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`, strings.TrimPrefix(id, "https://"))
	return b.String()
}

func entities(parts ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">
` + strings.Join(parts, "\n") + "\n</md:EntitiesDescriptor>"
}
