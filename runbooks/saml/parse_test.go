package saml

import (
	"strings"
	"testing"
)

func TestParseMetadataSingleEntitySeveralCerts(t *testing.T) {
	signing := newCertB64(t, "idp-signing", 0xabc123, 45*day)
	enc := newCertB64(t, "idp-encryption", 7, 300*day)
	both := newCertB64(t, "idp-any", 8, 10*day)
	doc := `<?xml version="1.0"?>` + entity("https://idp.example.org",
		keyDesc{"signing", wrap(signing, 64)}, keyDesc{"encryption", enc}, keyDesc{"", wrap(both, 76)})

	certs, err := ParseMetadata("idp.xml", strings.NewReader(doc), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 3 {
		t.Fatalf("got %d certificates, want 3", len(certs))
	}
	want := []struct{ use, cn, serial string }{
		{"signing", "idp-signing", "abc123"}, {"encryption", "idp-encryption", "7"}, {"", "idp-any", "8"},
	}
	for i, w := range want {
		c := certs[i]
		if c.Use != w.use || !strings.Contains(c.Subject, "CN="+w.cn) || c.Serial != w.serial {
			t.Errorf("cert %d = use %q subject %q serial %q, want %q %q %q", i, c.Use, c.Subject, c.Serial, w.use, w.cn, w.serial)
		}
		if c.Source != "idp.xml" || c.EntityID != "https://idp.example.org" || c.Role != "idp" {
			t.Errorf("cert %d context = %q %q %q", i, c.Source, c.EntityID, c.Role)
		}
		if len(c.SHA256) != 32*3-1 || c.Issuer != c.Subject {
			t.Errorf("cert %d fingerprint %q issuer %q", i, c.SHA256, c.Issuer)
		}
	}
	if got := certs[0].NotAfter; !got.Equal(testNow.Add(45 * day)) {
		t.Errorf("NotAfter = %v", got)
	}
}

func TestParseMetadataEntitiesDescriptorAndPrefixes(t *testing.T) {
	a := newCertB64(t, "a", 1, 45*day)
	b := newCertB64(t, "b", 2, 10*day)
	// The SP entity uses default namespaces, no prefixes at all; the IdP uses md:/ds:.
	sp := `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.org">
  <SPSSODescriptor><KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>` + b + `</X509Certificate></X509Data></KeyInfo></KeyDescriptor></SPSSODescriptor>
</EntityDescriptor>`
	signed := `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://signed.example.org">
  <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>not-a-cert-but-ignored</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>
</md:EntityDescriptor>`
	doc := entities(entity("https://idp.example.org", keyDesc{"signing", a}), sp, signed)

	certs, err := ParseMetadata("feed", strings.NewReader(doc), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 2 {
		t.Fatalf("got %d certificates, want 2 (the document signature must be skipped)", len(certs))
	}
	if certs[0].EntityID != "https://idp.example.org" || certs[0].Role != "idp" {
		t.Errorf("first = %+v", certs[0])
	}
	if certs[1].EntityID != "https://sp.example.org" || certs[1].Role != "sp" || certs[1].Use != "signing" {
		t.Errorf("second = %+v", certs[1])
	}
}

func TestParseMetadataFileNotFoundNamesPath(t *testing.T) {
	_, err := ReadMetadataFile("testdata/missing.xml", Limits{})
	if err == nil || !strings.Contains(err.Error(), "testdata/missing.xml") {
		t.Fatalf("err = %v", err)
	}
}
