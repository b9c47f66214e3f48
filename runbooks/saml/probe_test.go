package saml

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/selfsigned"
	"github.com/patchgate/patchgate/internal/testkit"
)

// TestSAMLNoCertificateIsAFailedSource: metadata that parses but publishes
// no certificate (an export without its KeyDescriptors, an SP-less stub) is
// a failed source in the daily run, not a healthy one with nothing to do,
// and the CLI text says so.
func TestSAMLNoCertificateIsAFailedSource(t *testing.T) {
	noKeys := entity("https://okta.bank")
	if _, err := ParseMetadata("idp.xml", strings.NewReader(noKeys), Limits{}); err == nil ||
		!strings.Contains(err.Error(), "no X509Certificate") {
		t.Fatalf("ParseMetadata without certificates = %v, want an error", err)
	}

	file := filepath.Join(t.TempDir(), "idp.xml")
	writeMetadata(t, file, noKeys)
	rb := &Runbook{Store: openStore(t), Chat: &fakeChat{}, Clock: testkit.NewClock(testNow),
		Sources: []Source{FileSource{SourceName: "idp", Path: file}}}
	res, err := rb.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Scan.Failed) != 1 || res.Scan.Failed[0].Source != "idp" || res.Scan.Read["idp"] {
		t.Fatalf("failed %v, read %v: metadata without a certificate must fail its source", res.Scan.Failed, res.Scan.Read)
	}
	if text := FormatText(res.Findings, res.Scan, testNow); !strings.Contains(text, "1 source(s) failed") ||
		!strings.Contains(text, "FAILED  source idp") {
		t.Errorf("text: %s", text)
	}
}

// TestSAMLNotYetValidReported: a certificate whose validity has not started
// is reported by the run and in the CLI text, with the date it starts;
// a current certificate is not.
func TestSAMLNotYetValidReported(t *testing.T) {
	current := newCertB64(t, "current", 1, 300*day)
	future := certValidBetween(t, "next", 2, testNow.Add(20*day), testNow.Add(400*day))
	file := filepath.Join(t.TempDir(), "idp.xml")
	writeMetadata(t, file, entity("https://okta.bank", keyDesc{"signing", current}, keyDesc{"signing", future}))
	rb := &Runbook{Store: openStore(t), Chat: &fakeChat{}, Clock: testkit.NewClock(testNow),
		Sources: []Source{FileSource{SourceName: "idp", Path: file}}}
	res, err := rb.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.NotYetValid) != 1 || res.NotYetValid[0].Serial != "2" {
		t.Fatalf("not yet valid: %+v, want serial 2 only", res.NotYetValid)
	}
	want := "NOT YET VALID  Generic SAML IdP · idp · CN=next,O=Test CU · serial 2 · valid from " +
		testNow.Add(20*day).Format("2006-01-02 15:04") + " UTC · source idp"
	if text := FormatText(res.Findings, res.Scan, testNow); !strings.Contains(text, want) {
		t.Errorf("text lacks %q:\n%s", want, text)
	}
	if got := NotYetValid(res.Scan.Certificates, testNow.Add(21*day)); len(got) != 0 {
		t.Errorf("once its validity starts it is no longer reported: %+v", got)
	}
}

// certValidBetween makes a self-signed certificate valid from notBefore to
// notAfter, base64-encoded as in metadata.
func certValidBetween(t testing.TB, cn string, serial int64, notBefore, notAfter time.Time) string {
	t.Helper()
	der, err := selfsigned.DER(selfsigned.Cert{CommonName: cn, Organization: "Test CU", Serial: serial,
		NotBefore: notBefore, NotAfter: notAfter})
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}
