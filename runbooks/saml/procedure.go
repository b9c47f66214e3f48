package saml

import (
	"fmt"
	"time"
)

// ProviderKind names where the certificate is configured, which decides the
// rotation procedure.
type ProviderKind string

const (
	KindAWS     ProviderKind = "aws-iam"
	KindOkta    ProviderKind = "okta"
	KindEntra   ProviderKind = "entra-id"
	KindADFS    ProviderKind = "adfs"
	KindGeneric ProviderKind = "generic"
)

// Procedure is a Method of Procedure: ordered steps, then how to prove it
// worked, then how to back out.
type Procedure struct {
	Title        string
	Kind         ProviderKind
	Details      []Detail // shown above the steps so the reader checks the target first
	Steps        []Step
	Verification []string
	Rollback     []string
}

// Detail is one labelled fact about the certificate being rotated.
type Detail struct{ Label, Value string }

// Step is one checklist item; ID is stable so a chat button can tick it and
// the audit log can name it.
type Step struct {
	ID   string
	Text string
}

// mopInput is what every provider template fills in. Text fields are safe
// for prose (see prose); commands take only the shell-safe fields.
type mopInput struct {
	Integration, EntityID, Subject, Serial, SHA256, NotAfter, Use string
	DaysLeft                                                      int

	ResourceID string // the provider object's ID when known (an IAM SAML provider ARN)
	Thumbprint string // upper-case hex, no separators
	FileStem   string // slug of the integration, for backup file names
}

// MOP writes the rotation procedure for one finding. Unknown kinds get the
// generic procedure rather than nothing: a page must always carry steps.
func MOP(kind ProviderKind, f Finding, integration string) Procedure {
	in := mopInput{
		Integration: prose(integration),
		EntityID:    prose(f.Certificate.EntityID),
		Subject:     prose(f.Certificate.Subject),
		Serial:      prose(f.Certificate.Serial),
		SHA256:      prose(f.Certificate.SHA256),
		NotAfter:    f.Certificate.NotAfter.UTC().Format(time.RFC3339),
		Use:         useLabel(f.Certificate.Use),
		DaysLeft:    f.DaysLeft,
		ResourceID:  f.Certificate.ResourceID,
		Thumbprint:  f.Certificate.Thumbprint,
		FileStem:    slug(integration),
	}
	var p Procedure
	switch kind {
	case KindAWS:
		p = awsMOP(in)
	case KindOkta:
		p = oktaMOP(in)
	case KindEntra:
		p = entraMOP(in)
	case KindADFS:
		p = adfsMOP(in)
	default:
		kind = KindGeneric
		p = genericMOP(in)
	}
	p.Kind = kind
	p.Details = details(kind, f, in)
	numberSteps(kind, p.Steps)
	return p
}

func details(kind ProviderKind, f Finding, in mopInput) []Detail {
	ds := []Detail{
		{"Provider", kindName(kind)},
		{"Integration", in.Integration},
		{"Entity ID", in.EntityID},
		{"Certificate subject", in.Subject},
		{"Serial", in.Serial},
		{"SHA-256", in.SHA256},
		{"Use", in.Use},
		{"Not after", in.NotAfter},
		{"Days left", fmt.Sprintf("%d (%s)", in.DaysLeft, f.Level)},
		{"Metadata source", f.Certificate.Source},
	}
	if in.Thumbprint != "" {
		ds = append(ds, Detail{"Thumbprint (SHA-1)", in.Thumbprint})
	}
	if in.ResourceID != "" {
		ds = append(ds, Detail{"Provider ID", in.ResourceID})
	}
	return ds
}

func kindName(k ProviderKind) string {
	switch k {
	case KindAWS:
		return "AWS IAM SAML provider"
	case KindOkta:
		return "Okta"
	case KindEntra:
		return "Entra ID (Azure AD)"
	case KindADFS:
		return "AD FS"
	}
	return "Generic SAML IdP"
}

// numberSteps gives steps IDs like "aws-iam-03" so ticks stay meaningful even
// if a template later gains a step.
func numberSteps(kind ProviderKind, steps []Step) {
	for i := range steps {
		if steps[i].ID == "" {
			steps[i].ID = fmt.Sprintf("%s-%02d", kind, i+1)
		}
	}
}

func steps(texts ...string) []Step {
	out := make([]Step, len(texts))
	for i, t := range texts {
		out[i] = Step{Text: t}
	}
	return out
}
