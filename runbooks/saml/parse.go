package saml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ParseMetadata reads SAML 2.0 metadata (EntityDescriptor or
// EntitiesDescriptor) and returns every certificate inside an IdP or SP
// KeyDescriptor. Certificates in the metadata's own ds:Signature are skipped:
// they sign the document, they do not authenticate users.
func ParseMetadata(source string, r io.Reader, limits Limits) ([]Certificate, error) {
	limits = limits.withDefaults()
	data, err := readLimited(r, limits.MaxBytes)
	if err != nil {
		return nil, &MetadataError{Source: source, Err: err}
	}
	p := parser{source: source, limits: limits}
	if err := p.run(xml.NewDecoder(bytes.NewReader(data))); err != nil {
		return nil, err
	}
	if p.entities == 0 {
		return nil, &MetadataError{Source: source, Err: errors.New("no EntityDescriptor found; is this SAML metadata?")}
	}
	if len(p.certs) == 0 {
		// Nothing to check is not "nothing expires": an export without its
		// KeyDescriptors, or the wrong document, must fail the source.
		return nil, &MetadataError{Source: source, Err: errors.New("no X509Certificate in any IdP or SP KeyDescriptor; nothing to check")}
	}
	return p.certs, nil
}

// readLimited reads one byte past the limit so "exactly at the limit" passes
// and "over the limit" is reported rather than silently truncated.
func readLimited(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("document exceeds the %d-byte limit", max)
	}
	return data, nil
}

// parser walks the token stream once; it keeps only the context the current
// certificate needs, so memory stays bounded by the size limit.
type parser struct {
	source   string
	limits   Limits
	certs    []Certificate
	entities int

	depth    int
	entityID string
	role     string
	inKey    bool
	use      string
	inCert   bool
	certText strings.Builder
}

func (p *parser) fail(err error) error {
	return &MetadataError{Source: p.source, EntityID: p.entityID, Err: err}
}

func (p *parser) run(dec *xml.Decoder) error {
	dec.Strict = true
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if p.depth != 0 {
				return p.fail(errors.New("document ends inside an element"))
			}
			return nil
		}
		if err != nil {
			return p.fail(fmt.Errorf("not well-formed XML: %w", err))
		}
		if err := p.token(tok); err != nil {
			return err
		}
	}
}

func (p *parser) token(tok xml.Token) error {
	switch t := tok.(type) {
	case xml.Directive:
		return p.fail(refuseDirective(t))
	case xml.StartElement:
		p.depth++
		if p.depth > p.limits.MaxDepth {
			return p.fail(fmt.Errorf("elements nested deeper than %d", p.limits.MaxDepth))
		}
		p.start(t)
	case xml.CharData:
		if p.inCert {
			p.certText.Write(t)
		}
	case xml.EndElement:
		p.depth--
		return p.end(t)
	}
	return nil
}

// refuseDirective rejects DTDs outright. encoding/xml never expands them, but
// an entity-bomb document should fail loudly, not as an "undefined entity".
func refuseDirective(d xml.Directive) error {
	head := strings.ToUpper(strings.TrimSpace(string(d)))
	switch {
	case strings.HasPrefix(head, "DOCTYPE"):
		return errors.New("DOCTYPE declarations are not allowed in SAML metadata")
	case strings.HasPrefix(head, "ENTITY"):
		return errors.New("ENTITY declarations are not allowed in SAML metadata")
	default:
		return errors.New("XML directives are not allowed in SAML metadata")
	}
}

// Elements are matched by local name: IdPs use md:, saml2md:, ds: or no
// prefix at all, and the decoder has already resolved prefixes.
func (p *parser) start(t xml.StartElement) {
	switch t.Name.Local {
	case "EntityDescriptor":
		p.entities++
		p.entityID = attr(t, "entityID")
	case "IDPSSODescriptor":
		p.role = "idp"
	case "SPSSODescriptor":
		p.role = "sp"
	case "KeyDescriptor":
		p.inKey = true
		p.use = attr(t, "use")
	case "X509Certificate":
		if p.inKey && p.role != "" {
			p.inCert = true
			p.certText.Reset()
		}
	}
}

func (p *parser) end(t xml.EndElement) error {
	switch t.Name.Local {
	case "EntityDescriptor":
		p.entityID = ""
	case "IDPSSODescriptor", "SPSSODescriptor":
		p.role = ""
	case "KeyDescriptor":
		p.inKey = false
	case "X509Certificate":
		if !p.inCert {
			return nil
		}
		p.inCert = false
		return p.addCert()
	}
	return nil
}

func (p *parser) addCert() error {
	if len(p.certs) >= p.limits.MaxCerts {
		return p.fail(fmt.Errorf("more than %d certificates", p.limits.MaxCerts))
	}
	c, err := decodeCertificate(p.certText.String())
	if err != nil {
		return p.fail(fmt.Errorf("certificate %d (%s %s): %w", len(p.certs)+1, p.role, useLabel(p.use), err))
	}
	c.Source, c.EntityID, c.Role, c.Use = p.source, p.entityID, p.role, p.use
	p.certs = append(p.certs, c)
	return nil
}

func attr(t xml.StartElement, local string) string {
	for _, a := range t.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func useLabel(use string) string {
	if use == "" {
		return "signing+encryption"
	}
	return use
}
