// Package selfsigned makes self-signed signing certificates, the kind an
// identity provider publishes in its SAML metadata. The simulated fleet
// seeds the demo's expiring certificates with it and tests build their
// metadata from it, so every such certificate is made one way.
package selfsigned

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"time"
)

// Cert describes one certificate.
type Cert struct {
	CommonName   string
	Organization string // left out of the subject when empty
	Serial       int64
	NotBefore    time.Time
	NotAfter     time.Time
}

// DER returns c as a DER-encoded certificate signed by a fresh P-256 key
// of its own.
func DER(c Cert) ([]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	subject := pkix.Name{CommonName: c.CommonName}
	if c.Organization != "" {
		subject.Organization = []string{c.Organization}
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(c.Serial),
		Subject:      subject,
		NotBefore:    c.NotBefore,
		NotAfter:     c.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	return x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
}
