package saml

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden MOP files in runbooks/saml/testdata")

// fixedFinding is a hand-written finding so the golden files never change
// with the generated keys.
func fixedFinding() Finding {
	return Finding{
		Certificate: Certificate{
			Source:   "https://idp.firstcu.example/metadata",
			EntityID: "https://idp.firstcu.example/saml",
			Role:     "idp",
			Use:      "signing",
			Subject:  "CN=idp.firstcu.example,O=First Credit Union",
			Issuer:   "CN=idp.firstcu.example,O=First Credit Union",
			Serial:   "1f2e3d4c",
			NotAfter: time.Date(2026, 3, 12, 23, 59, 59, 0, time.UTC),
			SHA256:   "AB:CD:EF",
			// Thumbprint is the SHA-1 AD FS names certificates by.
			Thumbprint: "3F2A9C0D5E6B7A8C9D0E1F2A3B4C5D6E7F8A9B0C",
		},
		DaysLeft: 10,
		Level:    LevelPage,
	}
}

func TestMOPGoldenMarkdown(t *testing.T) {
	for _, kind := range []ProviderKind{KindAWS, KindOkta, KindEntra, KindADFS, KindGeneric} {
		t.Run(string(kind), func(t *testing.T) {
			f := fixedFinding()
			if kind == KindAWS {
				f.Certificate.ResourceID = "arn:aws:iam::123456789012:saml-provider/member-portal"
			}
			got := MOP(kind, f, "member-portal").Markdown()
			path := filepath.Join("testdata", "mop-"+string(kind)+".md")
			if *updateGolden {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the rendered MOP; rerun with -update and review the diff\n%s", path, got)
			}
		})
	}
}

// TestMOPIsPrefilled checks every kind carries the facts an SRE needs and
// stable, unique step IDs for the tick buttons.
func TestMOPIsPrefilled(t *testing.T) {
	f := fixedFinding()
	for _, kind := range []ProviderKind{KindAWS, KindOkta, KindEntra, KindADFS, KindGeneric, "unknown"} {
		p := MOP(kind, f, "member-portal")
		md := p.Markdown()
		for _, fact := range []string{"member-portal", f.Certificate.EntityID, f.Certificate.Subject, f.Certificate.Serial, "2026-03-12T23:59:59Z", "10 (page)"} {
			if !strings.Contains(md, fact) {
				t.Errorf("%s: MOP lacks %q", kind, fact)
			}
		}
		if len(p.Steps) < 5 || len(p.Verification) == 0 || len(p.Rollback) == 0 {
			t.Errorf("%s: %d steps, %d checks, %d rollback", kind, len(p.Steps), len(p.Verification), len(p.Rollback))
		}
		seen := map[string]bool{}
		for _, s := range p.Steps {
			if s.ID == "" || seen[s.ID] {
				t.Errorf("%s: empty or duplicate step ID %q", kind, s.ID)
			}
			seen[s.ID] = true
		}
	}
	if MOP("unknown", f, "x").Kind != KindGeneric {
		t.Error("an unknown kind must fall back to the generic procedure")
	}
	if aws := MOP(KindAWS, f, "x").Markdown(); !strings.Contains(aws, "aws iam update-saml-provider --saml-provider-arn") {
		t.Error("AWS MOP lacks the update-saml-provider command")
	}
}
