package aws

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/patchgate/patchgate/runbooks/saml"
)

// SAMLProvider is one IAM SAML identity provider with its metadata.
type SAMLProvider struct {
	Account    string
	ARN        string
	Name       string
	Metadata   []byte
	ValidUntil time.Time
}

// SAMLProviders lists the IAM SAML identity providers of every configured
// account and every account a tenant target names (IAM is global, so one
// listing per account).
func (p *Provider) SAMLProviders(ctx context.Context) ([]SAMLProvider, error) {
	return p.samlProviders(ctx, p.knownAccounts())
}

func (p *Provider) samlProviders(ctx context.Context, accounts []string) ([]SAMLProvider, error) {
	var out []SAMLProvider
	for _, a := range accounts {
		ps, err := p.accountSAML(ctx, a)
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}

func (p *Provider) accountSAML(ctx context.Context, account string) ([]SAMLProvider, error) {
	c := p.iamClient(account)
	var list *iam.ListSAMLProvidersOutput
	err := p.call(ctx, account, func() (err error) { list, err = c.ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{}); return err })
	if err != nil {
		return nil, fmt.Errorf("iam ListSAMLProviders in %s: %w", account, err)
	}
	var out []SAMLProvider
	for _, e := range list.SAMLProviderList {
		arn := aws.ToString(e.Arn)
		var got *iam.GetSAMLProviderOutput
		err := p.call(ctx, account, func() (err error) {
			got, err = c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(arn)})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("iam GetSAMLProvider %s: %w", arn, err)
		}
		_, name, _ := strings.Cut(arn, ":saml-provider/")
		out = append(out, SAMLProvider{Account: account, ARN: arn, Name: name,
			Metadata: []byte(aws.ToString(got.SAMLMetadataDocument)), ValidUntil: aws.ToTime(got.ValidUntil)})
	}
	return out, nil
}

// Source names a provider's metadata for the SAML runbook.
func (s SAMLProvider) Source() string { return "aws-iam:" + s.Account + ":" + s.Name }

// SAMLCertificates parses the signing and encryption certificates of every
// IAM SAML provider. A provider whose metadata cannot be parsed does not
// hide the others: their certificates are returned with an error naming it.
func (p *Provider) SAMLCertificates(ctx context.Context) ([]saml.Certificate, error) {
	return p.samlCertificates(ctx, p.knownAccounts())
}

func (p *Provider) samlCertificates(ctx context.Context, accounts []string) ([]saml.Certificate, error) {
	ps, err := p.samlProviders(ctx, accounts)
	if err != nil {
		return nil, err
	}
	var (
		certs []saml.Certificate
		errs  []error
	)
	for _, sp := range ps {
		cs, err := saml.ParseMetadata(sp.Source(), bytes.NewReader(sp.Metadata), saml.Limits{})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for i := range cs {
			cs[i].ResourceID = sp.ARN
		}
		certs = append(certs, cs...)
	}
	return certs, errors.Join(errs...)
}

// knownAccounts are the configured accounts, then the tenants' other AWS
// accounts, each once.
func (p *Provider) knownAccounts() []string {
	var out []string
	seen := map[string]bool{}
	add := func(a string) {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, a := range p.cfg.Accounts {
		add(a.ID)
	}
	for _, t := range p.cfg.Tenants {
		for _, a := range tenantAccounts(t) {
			add(a)
		}
	}
	return out
}
