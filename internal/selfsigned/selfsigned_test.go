package selfsigned

import (
	"crypto/x509"
	"testing"
	"time"
)

func TestDERIsTheDescribedSelfSignedCertificate(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	der, err := DER(Cert{CommonName: "idp.example", Organization: "Test CU", Serial: 7,
		NotBefore: from, NotAfter: from.Add(90 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject.CommonName != "idp.example" || len(c.Subject.Organization) != 1 || c.Subject.Organization[0] != "Test CU" ||
		c.SerialNumber.Int64() != 7 || !c.NotBefore.Equal(from) || !c.NotAfter.Equal(from.Add(90*24*time.Hour)) {
		t.Errorf("certificate = %v serial %v valid %v–%v", c.Subject, c.SerialNumber, c.NotBefore, c.NotAfter)
	}
	if err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	if c.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("key usage %v, want digital signature", c.KeyUsage)
	}
}
