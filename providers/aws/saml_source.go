package aws

import (
	"context"
	"strings"

	"github.com/patchgate/patchgate/runbooks/saml"
)

// IAMSAMLSource is the SAML check's source of IAM SAML identity providers
// (a saml section source of kind aws-iam without url or file): their
// certificates carry the AWS IAM rotation procedure and name
// "<account>:<provider>" as the integration unless the source names one.
type IAMSAMLSource struct {
	Provider    *Provider
	SourceName  string
	Accounts    []string // empty: every account the provider knows
	Integration string
}

var _ saml.Source = IAMSAMLSource{}

// Name implements saml.Source.
func (s IAMSAMLSource) Name() string { return s.SourceName }

// Certificates implements saml.Source.
func (s IAMSAMLSource) Certificates(ctx context.Context) ([]saml.Certificate, error) {
	accounts := s.Accounts
	if len(accounts) == 0 {
		accounts = s.Provider.knownAccounts()
	}
	certs, err := s.Provider.samlCertificates(ctx, accounts)
	for i := range certs {
		certs[i].Kind = saml.KindAWS
		certs[i].Integration = s.Integration
		if certs[i].Integration == "" {
			certs[i].Integration = strings.TrimPrefix(certs[i].Source, "aws-iam:")
		}
	}
	return certs, err
}
