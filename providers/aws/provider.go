package aws

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/patchgate/patchgate/runbooks"
)

// Provider is the AWS provider. Build one with New; it is safe for
// concurrent use.
type Provider struct {
	cfg    Config
	base   aws.Config      // the bot's own identity, home region
	budget runbooks.Budget // one call's share of the step budget
	// maxPages is PageGuard.Max of the findings' paging loops (0:
	// runbooks.MaxPages); tests lower it.
	maxPages int

	mu       sync.Mutex
	creds    map[string]aws.CredentialsProvider // by account
	clients  map[string]*regional               // by account/region
	limiters map[string]chan struct{}           // by account
}

var (
	_ runbooks.Inventory = (*Provider)(nil)
	_ runbooks.Backups   = (*Provider)(nil)
	_ runbooks.Patcher   = (*Provider)(nil)
	_ runbooks.Access    = (*Provider)(nil)
	_ runbooks.Archive   = (*Provider)(nil)
)

// New loads the bot's identity (the default credential chain unless
// cfg.Credentials is set) and returns a provider. No AWS call is made here:
// roles are assumed when an account is first used.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("aws provider: %w", err)
	}
	budget := cfg.budget()
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(cfg.Region),
		awsconfig.WithRetryer(func() aws.Retryer { return newRetryer(budget) }),
		// Each attempt is bounded, so an endpoint that accepts the
		// connection and never answers costs one attempt, not the step.
		awsconfig.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(budget.PerAttempt).
			WithTransportOptions(keepConns(cfg.AccountConcurrency))),
	}
	if cfg.Credentials != nil {
		opts = append(opts, awsconfig.WithCredentialsProvider(cfg.Credentials))
	}
	base, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("aws provider: load the bot's credentials: %w", err)
	}
	p := &Provider{cfg: cfg, base: base, budget: budget,
		creds: map[string]aws.CredentialsProvider{}, clients: map[string]*regional{}, limiters: map[string]chan struct{}{}}
	// Clients made from base (S3, Identity Center) act as the bot itself.
	p.base.APIOptions = append(p.base.APIOptions, p.describeErrors("", cfg.Region))
	return p, nil
}

// idleAccounts is how many accounts' worth of concurrent calls to one
// endpoint keep their connections between calls.
const idleAccounts = 16

// keepConns keeps a connection per call in flight. Every account of a
// region calls the same regional endpoint (ssm.<region>.amazonaws.com), so
// the SDK's default of 10 idle connections per host is below one inventory's
// concurrency (accounts × AccountConcurrency): each call over it would close
// its connection on return and the next would dial, and with TLS, handshake
// again.
func keepConns(perAccount int) func(*http.Transport) {
	return func(t *http.Transport) {
		t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, idleAccounts*perAccount)
		t.MaxIdleConns = max(t.MaxIdleConns, 4*t.MaxIdleConnsPerHost)
	}
}

// newRetryer is the SDK's adaptive mode: standard retries with backoff plus
// a client-side rate limiter that slows down when the service throttles;
// attempts and backoff come from the step budget, so they fit inside it.
func newRetryer(b runbooks.Budget) aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(s *retry.StandardOptions) {
			s.MaxAttempts = b.Attempts
			s.MaxBackoff = b.MaxBackoff
		})
	})
}

// account returns the configured account, or one built from the role
// template for an account only a target names.
func (p *Provider) account(id string) Account {
	for _, a := range p.cfg.Accounts {
		if a.ID == id {
			return a
		}
	}
	return Account{ID: id}
}

// roleARN is the role assumed in account a; "" means the bot's own identity.
func (p *Provider) roleARN(a Account) string {
	if a.RoleARN != "" {
		return a.RoleARN
	}
	if p.cfg.RoleName != "" {
		return strings.ReplaceAll(p.cfg.RoleName, "{account}", a.ID)
	}
	return ""
}

// credentials returns the cached, auto-refreshing credentials of account id.
func (p *Provider) credentials(id string) aws.CredentialsProvider {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.creds[id]; ok {
		return c
	}
	a := p.account(id)
	var c aws.CredentialsProvider = p.base.Credentials
	if arn := p.roleARN(a); arn != "" {
		ext := a.ExternalID
		if ext == "" {
			ext = p.cfg.ExternalID
		}
		stsc := sts.NewFromConfig(p.base, p.endpoint("sts"))
		c = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsc, arn, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "patchgate"
			if ext != "" {
				o.ExternalID = aws.String(ext)
			}
		}))
	}
	p.creds[id] = c
	return c
}

// configFor is the SDK configuration for calls in account id and region.
func (p *Provider) configFor(id, region string) aws.Config {
	c := p.base.Copy()
	c.Region = region
	c.Credentials = p.credentials(id)
	c.APIOptions = append(c.APIOptions[:len(c.APIOptions)-1:len(c.APIOptions)-1], p.describeErrors(id, region))
	return c
}

// regions are the regions of a target, else its account's, else home.
func (p *Provider) regions(t runbooks.Target) []string {
	if len(t.Regions) > 0 {
		return t.Regions
	}
	if a := p.account(t.Account); len(a.Regions) > 0 {
		return a.Regions
	}
	return []string{p.cfg.Region}
}

// limiter is account id's semaphore of concurrent API calls.
func (p *Provider) limiter(id string) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.limiters[id]
	if !ok {
		l = make(chan struct{}, p.cfg.AccountConcurrency)
		p.limiters[id] = l
	}
	return l
}

// call runs one API call of account id under the account's bound.
func (p *Provider) call(ctx context.Context, id string, f func() error) error {
	l := p.limiter(id)
	select {
	case l <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-l }()
	err := f()
	if ce, ok := runbooks.AsCallError(err); ok {
		// The CallError says all the SDK's OperationError around it says.
		return ce
	}
	return err
}
