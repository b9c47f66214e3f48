// Package dynatrace is the health gate's view of Dynatrace: the open problems
// of one tenant's environment, read from the Problems API v2
// (GET /api/v2/problems). Dynatrace has no Go SDK, so this is a small
// net/http client.
//
// Which entities belong to an environment is configuration: an entity
// selector per "tenant/env" (or per "env" for every tenant), for example
// type("HOST"),tag("tenant:acme-cu"),tag("env:production"). An environment
// without a selector is an error, never "healthy".
package dynatrace

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// Defaults for the zero values of Config.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultMaxRetries   = 3
	DefaultRetryBackoff = 500 * time.Millisecond
	DefaultMaxRetryWait = time.Minute
	DefaultPageSize     = 50
	DefaultLookback     = 30 * 24 * time.Hour

	// MaxPageSize is the largest page the API serves.
	MaxPageSize = 500
)

// openSelector is always part of the problem selector: the gate asks only
// about open problems.
const openSelector = `status("open")`

// Config configures a Client.
type Config struct {
	// BaseURL is the environment URL, e.g. https://abc123.live.dynatrace.com
	// or https://activegate:9999/e/<environment-id>.
	BaseURL string
	// Token is an API token with the problems.read scope (the resolved
	// secret). It is sent as "Authorization: Api-Token <token>" and never
	// logged or put in an error.
	Token string
	// Selectors maps "tenant/env", or "env" for every tenant, to the entity
	// selector of that environment's monitored entities.
	Selectors map[string]string
	// ProblemSelector holds extra problem-selector criteria, e.g.
	// severityLevel("AVAILABILITY","ERROR"); status("open") is always sent.
	ProblemSelector string
	// Lookback is how far back a problem may have started and still be
	// listed: the API only returns problems that start or end inside the
	// requested timeframe, and its default is the last two hours, which
	// would hide a problem open since yesterday. Default 30 days.
	Lookback time.Duration

	// HTTPClient sends the requests; default a new http.Client.
	HTTPClient *http.Client
	// Timeout bounds each HTTP request, body included; default 10 s.
	Timeout time.Duration
	// MaxRetries is how often a request is retried after a 429, a 5xx or a
	// transport error; 0 means the default 3, a negative value none.
	MaxRetries int
	// RetryBackoff is the first wait between retries, doubled on each retry
	// (with jitter) up to 10 s; a 429's Retry-After takes precedence.
	// Default 500 ms.
	RetryBackoff time.Duration
	// MaxRetryWait caps the wait a Retry-After header may ask for; default
	// one minute.
	MaxRetryWait time.Duration
	// StepTimeout is the engine's step budget; when set, Timeout, the
	// retries and their waits are derived from it (runbooks.StepBudget)
	// so the health gate's call ends inside the step.
	StepTimeout time.Duration
	// PageSize is the number of problems a page; default 50, at most 500.
	PageSize int
	// Log receives retry warnings; default discards.
	Log *slog.Logger
}

// withDefaults validates c and fills in its zero values.
func (c Config) withDefaults() (Config, error) {
	u, err := url.Parse(strings.TrimSpace(c.BaseURL))
	switch {
	case c.BaseURL == "":
		return c, fmt.Errorf("dynatrace: base URL is empty (want e.g. https://abc123.live.dynatrace.com)")
	case err != nil:
		return c, fmt.Errorf("dynatrace: base URL %q: %w", c.BaseURL, err)
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		return c, fmt.Errorf("dynatrace: base URL %q is not an http(s) URL with a host", c.BaseURL)
	case u.RawQuery != "" || u.Fragment != "":
		return c, fmt.Errorf("dynatrace: base URL %q must not have a query or fragment", c.BaseURL)
	}
	c.BaseURL = strings.TrimRight(u.String(), "/")
	c.Token = strings.TrimSpace(c.Token)
	if c.Token == "" {
		return c, fmt.Errorf("dynatrace: API token is empty (it needs the problems.read scope)")
	}
	if strings.ContainsAny(c.Token, " \t\r\n") {
		return c, fmt.Errorf("dynatrace: API token contains whitespace")
	}
	for key, sel := range c.Selectors {
		if key == "" || strings.Count(key, "/") > 1 || strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") {
			return c, fmt.Errorf("dynatrace: selector key %q: want \"tenant/env\" or \"env\"", key)
		}
		if strings.TrimSpace(sel) == "" {
			return c, fmt.Errorf("dynatrace: selector for %q is empty", key)
		}
	}
	c.ProblemSelector = strings.TrimSpace(c.ProblemSelector)
	switch {
	case c.PageSize == 0:
		c.PageSize = DefaultPageSize
	case c.PageSize < 0 || c.PageSize > MaxPageSize:
		return c, fmt.Errorf("dynatrace: page size %d out of range 1..%d", c.PageSize, MaxPageSize)
	}
	if c.Lookback < 0 || c.Timeout < 0 || c.RetryBackoff < 0 || c.MaxRetryWait < 0 {
		return c, fmt.Errorf("dynatrace: lookback, timeout and retry waits must not be negative")
	}
	c.Lookback = orDefault(c.Lookback, DefaultLookback)
	c.Timeout = orDefault(c.Timeout, DefaultTimeout)
	c.RetryBackoff = orDefault(c.RetryBackoff, DefaultRetryBackoff)
	c.MaxRetryWait = orDefault(c.MaxRetryWait, DefaultMaxRetryWait)
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = DefaultMaxRetries
	case c.MaxRetries < 0:
		c.MaxRetries = 0
	}
	if c.StepTimeout > 0 {
		b := runbooks.StepBudget(c.StepTimeout, c.MaxRetries+1)
		c.Timeout = min(c.Timeout, b.PerAttempt)
		c.RetryBackoff = min(c.RetryBackoff, b.MaxBackoff)
		c.MaxRetryWait = min(c.MaxRetryWait, b.MaxBackoff)
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
