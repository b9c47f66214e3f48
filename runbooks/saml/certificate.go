package saml

import "time"

// Certificate is one X.509 certificate published in SAML metadata, with the
// context needed to find it again (source, entity, role, use).
type Certificate struct {
	Source    string // file path or URL the metadata came from
	EntityID  string
	Role      string // "idp" or "sp"
	Use       string // "signing", "encryption" or "" (both, per the SAML spec)
	Subject   string
	Issuer    string
	Serial    string // lower-case hex, as IdP consoles display it
	NotBefore time.Time
	NotAfter  time.Time
	SHA256    string // colon-separated upper-case hex of the DER bytes
	// Thumbprint is the SHA-1 of the DER bytes in upper-case hex without
	// separators, the form Windows and AD FS cmdlets take.
	Thumbprint string

	// Set by a Source (Scan fills blanks from the source): which rotation
	// procedure applies, what signs in through the IdP, and which
	// configured source published it.
	Kind        ProviderKind
	Integration string
	SourceName  string
	// ResourceID is the object that holds the metadata when the source
	// knows it (an IAM SAML provider's ARN), so a MOP can name it.
	ResourceID string
}

// Limits bound the work done on untrusted metadata. Zero fields take defaults.
type Limits struct {
	MaxBytes int64         // whole document; default 1 MiB
	MaxDepth int           // element nesting; default 64
	MaxCerts int           // certificates per document; default 256
	Timeout  time.Duration // FetchMetadata only; default 30s
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = 1 << 20
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 64
	}
	if l.MaxCerts <= 0 {
		l.MaxCerts = 256
	}
	if l.Timeout <= 0 {
		l.Timeout = 30 * time.Second
	}
	return l
}
