package saml

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestScanURLSources: a metadata URL is fetched and labelled with the
// source's kind and integration; a failing URL is reported by source name
// and contributes nothing.
func TestScanURLSources(t *testing.T) {
	doc := entities(entity("https://okta.bank", keyDesc{"signing", newCertB64(t, "okta", 1, 20*day)}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metadata" {
			http.Error(w, "no", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte(doc))
	}))
	defer srv.Close()
	res := Scan(context.Background(), []Source{
		URLSource{SourceName: "okta", Kind: KindOkta, Integration: "Online banking", URL: srv.URL + "/metadata", Client: srv.Client()},
		URLSource{SourceName: "broken", URL: srv.URL + "/other", Client: srv.Client()},
	})
	if len(res.Certificates) != 1 || !res.Read["okta"] || res.Read["broken"] {
		t.Fatalf("scan = %+v", res)
	}
	c := res.Certificates[0]
	if c.Kind != KindOkta || c.Integration != "Online banking" || c.SourceName != "okta" || !strings.HasSuffix(c.Source, "/metadata") {
		t.Errorf("certificate labels: %+v", c)
	}
	if len(res.Failed) != 1 || res.Failed[0].Source != "broken" || !strings.Contains(res.Failed[0].Err.Error(), "500") {
		t.Errorf("failed = %+v", res.Failed)
	}
}

// TestCurrentDropsRenewed: during a rotation the IdP publishes the old and
// the new certificate; the old one needs no runbook once the new one is
// valid beyond the warning threshold, but does while the new one is
// itself close to expiry, or belongs to another entity or use.
func TestCurrentDropsRenewed(t *testing.T) {
	mk := func(entity, use string, days int, fp string) Certificate {
		return Certificate{SourceName: "s", EntityID: entity, Role: "idp", Use: use, NotAfter: testNow.AddDate(0, 0, days), SHA256: fp}
	}
	old := mk("e", "signing", 30, "old")
	fs := []Finding{{Certificate: old}}
	renewed := func(c Certificate) bool { return c.NotAfter.Sub(testNow) >= 60*day }
	cases := []struct {
		name  string
		other Certificate
		keep  bool
	}{
		{"renewed", mk("e", "signing", 365, "new"), false},
		{"new one also expiring", mk("e", "signing", 40, "new"), true},
		{"other entity", mk("f", "signing", 365, "new"), true},
		{"other use", mk("e", "encryption", 365, "new"), true},
	}
	for _, tc := range cases {
		got := Current(fs, []Certificate{old, tc.other}, renewed)
		if (len(got) == 1) != tc.keep {
			t.Errorf("%s: kept %d findings", tc.name, len(got))
		}
	}
}
