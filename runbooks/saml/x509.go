package saml

import (
	"crypto/sha1" // the thumbprint AD FS names certificates by, not a security check
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// decodeCertificate turns the text of a ds:X509Certificate into a
// Certificate. Metadata wraps base64 at 64 or 76 columns and indents it, so
// all whitespace is removed before decoding.
func decodeCertificate(text string) (Certificate, error) {
	b64 := strings.Join(strings.Fields(text), "")
	if b64 == "" {
		return Certificate{}, errors.New("empty X509Certificate")
	}
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return Certificate{}, fmt.Errorf("bad base64: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return Certificate{}, fmt.Errorf("not an X.509 certificate: %w", err)
	}
	sum := sha256.Sum256(der)
	thumb := sha1.Sum(der)
	return Certificate{
		Subject:    cert.Subject.String(),
		Issuer:     cert.Issuer.String(),
		Serial:     cert.SerialNumber.Text(16),
		NotBefore:  cert.NotBefore.UTC(),
		NotAfter:   cert.NotAfter.UTC(),
		SHA256:     fingerprint(sum[:]),
		Thumbprint: strings.ReplaceAll(fingerprint(thumb[:]), ":", ""),
	}, nil
}

func fingerprint(b []byte) string {
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02X", x)
	}
	return strings.Join(parts, ":")
}
