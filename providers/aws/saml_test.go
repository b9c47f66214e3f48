package aws

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/patchgate/patchgate/internal/selfsigned"
	"github.com/patchgate/patchgate/providers/aws/awstest"
)

// selfSigned makes a signing certificate expiring at notAfter.
func selfSigned(t *testing.T, cn string, serial int64, notAfter time.Time) []byte {
	t.Helper()
	der, err := selfsigned.DER(selfsigned.Cert{CommonName: cn, Serial: serial,
		NotBefore: notAfter.Add(-365 * 24 * time.Hour), NotAfter: notAfter})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// idpMetadata is SAML 2.0 IdP metadata with one signing certificate,
// padded past IAM's 1000-character minimum by its SSO endpoints.
func idpMetadata(entity string, der []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="%s">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
`, entity, base64.StdEncoding.EncodeToString(der))
	for _, binding := range []string{"HTTP-POST", "HTTP-Redirect"} {
		fmt.Fprintf(&b, `    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:%s" Location="%s/app/sso/saml"/>
`, binding, entity)
	}
	b.WriteString("  </md:IDPSSODescriptor>\n</md:EntityDescriptor>\n")
	return b.String()
}

// TestSAMLProvidersMoto: IAM SAML providers of every configured account
// are listed with their metadata, and their certificates parse with the
// source naming account and provider.
func TestSAMLProvidersMoto(t *testing.T) {
	moto := awstest.Moto(t)
	ctx := context.Background()
	notAfter := time.Date(2027, 1, 15, 12, 0, 0, 0, time.UTC)
	meta := idpMetadata("https://acme.okta.example/exk1", selfSigned(t, "acme-okta-signing", 0x1f2e, notAfter))
	if len(meta) < 1000 {
		t.Fatalf("metadata is %d characters; IAM wants at least 1000", len(meta))
	}
	for _, acct := range []string{acctA, acctB} {
		c := iam.NewFromConfig(motoConfig(moto, acct), func(o *iam.Options) { o.BaseEndpoint = aws.String(moto) })
		if _, err := c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("okta-" + acct[:3]),
			SAMLMetadataDocument: aws.String(meta)}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := testConfig(moto, "")
	cfg.Accounts = []Account{{ID: acctA}, {ID: acctB}}
	p := newProvider(t, cfg)

	ps, err := p.SAMLProviders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 {
		t.Fatalf("got %d providers, want one per account: %+v", len(ps), ps)
	}
	if ps[0].Account != acctA || ps[0].Name != "okta-111" || ps[0].ARN != "arn:aws:iam::111111111111:saml-provider/okta-111" ||
		!bytes.Equal(ps[0].Metadata, []byte(meta)) {
		t.Errorf("provider = %+v", ps[0])
	}
	certs, err := p.SAMLCertificates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 2 {
		t.Fatalf("got %d certificates, want 2", len(certs))
	}
	c := certs[1]
	if c.Source != "aws-iam:222222222222:okta-222" || c.Subject != "CN=acme-okta-signing" || c.Serial != "1f2e" ||
		!c.NotAfter.Equal(notAfter) || c.Role != "idp" || c.Use != "signing" ||
		c.ResourceID != "arn:aws:iam::222222222222:saml-provider/okta-222" {
		t.Errorf("certificate = %+v", c)
	}
}
