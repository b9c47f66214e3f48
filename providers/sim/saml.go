package sim

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/patchgate/patchgate/internal/selfsigned"
)

// IdPCert describes one certificate of a simulated identity provider.
type IdPCert struct {
	EntityID   string // e.g. https://sso.acme-cu.example/saml
	CommonName string
	Serial     int64
	ValidFor   time.Duration // from now until NotAfter
}

// SAMLMetadata generates real SAML metadata (an EntitiesDescriptor, one
// EntityDescriptor per certificate, base64 wrapped at 64 columns as IdPs
// publish it) holding freshly generated self-signed certificates that
// expire ValidFor after now. The demo seeds its expiring certificates with
// it; nothing about it is fake but the issuer.
func SAMLMetadata(now time.Time, certs []IdPCert) ([]byte, error) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
`)
	for _, c := range certs {
		der, err := selfSigned(now, c)
		if err != nil {
			return nil, fmt.Errorf("generate certificate %s: %w", c.CommonName, err)
		}
		fmt.Fprintf(&b, `  <md:EntityDescriptor entityID="%s">
    <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
      <md:KeyDescriptor use="signing">
        <ds:KeyInfo><ds:X509Data><ds:X509Certificate>
%s
        </ds:X509Certificate></ds:X509Data></ds:KeyInfo>
      </md:KeyDescriptor>
      <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="%s/sso"/>
    </md:IDPSSODescriptor>
  </md:EntityDescriptor>
`, c.EntityID, wrap64(base64.StdEncoding.EncodeToString(der)), c.EntityID)
	}
	b.WriteString("</md:EntitiesDescriptor>\n")
	return []byte(b.String()), nil
}

func selfSigned(now time.Time, c IdPCert) ([]byte, error) {
	return selfsigned.DER(selfsigned.Cert{CommonName: c.CommonName, Organization: "patchgate demo", Serial: c.Serial,
		NotBefore: now.Add(-365 * 24 * time.Hour), NotAfter: now.Add(c.ValidFor)})
}

func wrap64(s string) string {
	var lines []string
	for len(s) > 64 {
		lines = append(lines, "          "+s[:64])
		s = s[64:]
	}
	return strings.Join(append(lines, "          "+s), "\n")
}
