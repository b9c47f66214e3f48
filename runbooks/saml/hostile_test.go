package saml

import (
	"errors"
	"strings"
	"testing"
)

func TestParseMetadataRejectsMalformedAndHostile(t *testing.T) {
	good := newCertB64(t, "ok", 1, 45*day)
	bomb := `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&lol2;"/>`
	xxe := `<?xml version="1.0"?><!DOCTYPE md [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + entity("https://x", keyDesc{"signing", good})
	huge := entity("https://big", keyDesc{"signing", good}) + "<!--" + strings.Repeat("A", 2<<20) + "-->"
	deep := strings.Repeat("<a>", 1000) + strings.Repeat("</a>", 1000)

	tests := []struct {
		name, doc, entity, want string
		limits                  Limits
	}{
		{name: "over size limit", doc: huge, want: "exceeds the 1048576-byte limit"},
		{name: "billion laughs", doc: bomb, want: "DOCTYPE declarations are not allowed"},
		{name: "external entity", doc: xxe, want: "DOCTYPE declarations are not allowed"},
		{name: "bare entity directive", doc: `<!ENTITY x "y"><a/>`, want: "ENTITY declarations are not allowed"},
		{name: "undeclared entity", doc: `<md:EntityDescriptor xmlns:md="m" entityID="&x;"/>`, want: "not well-formed XML"},
		{name: "bad base64", doc: entity("https://idp.bank", keyDesc{"signing", "!!!notbase64!!!"}), entity: "https://idp.bank", want: "bad base64"},
		{name: "not a certificate", doc: entity("https://idp.bank", keyDesc{"signing", "aGVsbG8gd29ybGQ="}), entity: "https://idp.bank", want: "not an X.509 certificate"},
		{name: "empty certificate", doc: entity("https://idp.bank", keyDesc{"signing", "  \n "}), entity: "https://idp.bank", want: "empty X509Certificate"},
		{name: "deeply nested", doc: deep, want: "nested deeper than 64"},
		{name: "not XML", doc: "{\"entityID\": \"json?\"}", want: "no EntityDescriptor found"},
		{name: "binary garbage", doc: "\x00\x01<\xff", want: "not well-formed XML"},
		{name: "truncated", doc: entity("https://idp.bank", keyDesc{"signing", good})[:200], entity: "https://idp.bank", want: "not well-formed XML"},
		{name: "empty", doc: "", want: "no EntityDescriptor found"},
		{name: "too many certs", doc: entity("https://idp.bank", keyDesc{"signing", good}, keyDesc{"signing", good}), limits: Limits{MaxCerts: 1}, entity: "https://idp.bank", want: "more than 1 certificates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			certs, err := ParseMetadata("https://idp.bank/metadata", strings.NewReader(tt.doc), tt.limits)
			if err == nil {
				t.Fatalf("no error, got %d certs", len(certs))
			}
			var me *MetadataError
			if !errors.As(err, &me) || me.Source != "https://idp.bank/metadata" || me.EntityID != tt.entity {
				t.Fatalf("error %q is not a MetadataError for the source and entity %q", err, tt.entity)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "https://idp.bank/metadata") {
				t.Fatalf("error %q does not name the source and say %q", err, tt.want)
			}
		})
	}
}

func TestParseMetadataExactlyAtLimit(t *testing.T) {
	doc := entity("https://idp", keyDesc{"signing", newCertB64(t, "ok", 1, 45*day)})
	if _, err := ParseMetadata("f", strings.NewReader(doc), Limits{MaxBytes: int64(len(doc))}); err != nil {
		t.Fatalf("document exactly at the limit: %v", err)
	}
	if _, err := ParseMetadata("f", strings.NewReader(doc), Limits{MaxBytes: int64(len(doc) - 1)}); err == nil {
		t.Fatal("document one byte over the limit was accepted")
	}
}
