package saml

import (
	"context"
	"net/http"
	"sort"
	"sync"
)

// Source is one place identity-provider certificates are published: a
// metadata URL, a metadata file, or a cloud's SAML providers (the AWS
// provider lists IAM SAML providers in every configured account).
//
// Certificates returns every certificate the source publishes. A source that
// knows the provider kind and integration of a certificate sets
// Certificate.Kind and Certificate.Integration; Scan fills the blanks with
// KindGeneric and the source's name. An error means nothing from this
// source can be trusted this run: its open runbooks are left alone rather
// than resolved.
type Source interface {
	Name() string
	Certificates(ctx context.Context) ([]Certificate, error)
}

// URLSource reads a metadata URL (FetchMetadata's timeout and size limit).
type URLSource struct {
	SourceName  string
	Kind        ProviderKind
	Integration string
	URL         string
	Client      *http.Client // nil: http.DefaultClient
	Limits      Limits
}

// Name implements Source.
func (s URLSource) Name() string { return s.SourceName }

// Certificates implements Source.
func (s URLSource) Certificates(ctx context.Context) ([]Certificate, error) {
	certs, err := FetchMetadata(ctx, s.Client, s.URL, s.Limits)
	return label(certs, s.Kind, s.Integration), err
}

// FileSource reads a metadata file exported from an IdP console.
type FileSource struct {
	SourceName  string
	Kind        ProviderKind
	Integration string
	Path        string
	Limits      Limits
}

// Name implements Source.
func (s FileSource) Name() string { return s.SourceName }

// Certificates implements Source.
func (s FileSource) Certificates(_ context.Context) ([]Certificate, error) {
	certs, err := ReadMetadataFile(s.Path, s.Limits)
	return label(certs, s.Kind, s.Integration), err
}

func label(certs []Certificate, kind ProviderKind, integration string) []Certificate {
	for i := range certs {
		certs[i].Kind, certs[i].Integration = kind, integration
	}
	return certs
}

// SourceError is a source that could not be read.
type SourceError struct {
	Source string
	Err    error
}

// ScanResult is what one pass over the sources found.
type ScanResult struct {
	Certificates []Certificate
	Failed       []SourceError
	// Read names the sources that answered; only their certificates may be
	// declared gone.
	Read map[string]bool
}

// Scan reads every source concurrently (each one's own limits apply), tags
// each certificate with its source, and reports failures per source.
func Scan(ctx context.Context, sources []Source) ScanResult {
	type answer struct {
		certs []Certificate
		err   error
	}
	answers := make([]answer, len(sources))
	var wg sync.WaitGroup
	for i, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			certs, err := src.Certificates(ctx)
			answers[i] = answer{certs, err}
		}()
	}
	wg.Wait()
	res := ScanResult{Read: map[string]bool{}}
	for i, a := range answers {
		name := sources[i].Name()
		if a.err != nil {
			res.Failed = append(res.Failed, SourceError{Source: name, Err: a.err})
			continue
		}
		res.Read[name] = true
		for _, c := range a.certs {
			c.SourceName = name
			if c.Kind == "" {
				c.Kind = KindGeneric
			}
			if c.Integration == "" {
				c.Integration = name
			}
			res.Certificates = append(res.Certificates, c)
		}
	}
	sort.SliceStable(res.Failed, func(i, j int) bool { return res.Failed[i].Source < res.Failed[j].Source })
	return res
}

// Current drops findings for certificates that have been renewed: another
// certificate of the same source, entity, role and use is valid beyond the
// warning threshold. IdPs publish the old and the new certificate side by
// side during a rotation; the old one then needs no runbook.
func Current(fs []Finding, certs []Certificate, renewed func(Certificate) bool) []Finding {
	var out []Finding
	for _, f := range fs {
		if _, ok := successor(f.Certificate, certs, renewed); !ok {
			out = append(out, f)
		}
	}
	return out
}

// successor finds a certificate that replaces c, if one is published.
func successor(c Certificate, certs []Certificate, renewed func(Certificate) bool) (Certificate, bool) {
	for _, o := range certs {
		if o.SHA256 != c.SHA256 && o.SourceName == c.SourceName && o.EntityID == c.EntityID &&
			o.Role == c.Role && o.Use == c.Use && o.NotAfter.After(c.NotAfter) && renewed(o) {
			return o, true
		}
	}
	return Certificate{}, false
}
