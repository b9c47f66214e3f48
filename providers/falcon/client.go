package falcon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/crowdstrike/gofalcon/falcon"
	"github.com/crowdstrike/gofalcon/falcon/client"
	"golang.org/x/oauth2"

	"github.com/patchgate/patchgate/internal/ctxsleep"
	"github.com/patchgate/patchgate/providers/falcon/settings"
	"github.com/patchgate/patchgate/runbooks"
)

// API limits: the devices-scroll query returns at most 10000 IDs a page and
// the device-details call takes at most 5000 IDs.
const (
	MaxPageSize     = 10000
	MaxDetailsBatch = 5000
)

// Defaults for Config fields left zero.
const (
	DefaultMaxRetries    = 4
	DefaultMaxRetryWait  = 2 * time.Minute
	defaultFilterBatch   = 100  // values per FQL filter
	maxFilterBytes       = 4000 // text per FQL filter, keeps URLs short
	defaultKernelsPerReq = 500
)

// Config configures a Client. ClientID and ClientSecret are resolved secrets
// (OAuth2 client credentials); they are never logged.
type Config struct {
	ClientID     string
	ClientSecret string
	// AccessToken is a pre-issued bearer token, used instead of client
	// credentials (tests, short-lived tokens from a vault).
	AccessToken string

	// Cloud is the Falcon cloud: us-1 (default), us-2, eu-1, us-gov-1.
	Cloud string
	// BaseURL (scheme and host) points the client at another API host: a
	// proxy, a private link, a test server. Cloud is then ignored. Plain
	// http is spoken when its scheme says so (gofalcon itself always
	// speaks https).
	BaseURL string
	// HostOverride and BasePathOverride point the client at another API
	// host (tests, proxies); Cloud is then ignored.
	HostOverride     string
	BasePathOverride string
	// HTTPClient, if set, carries every request including the token fetch
	// (tests pass an httptest TLS server's client; proxies, custom CAs).
	HTTPClient *http.Client
	// TransportDecorator wraps gofalcon's authenticated transport; the
	// rate-limit handling of this package wraps the result.
	TransportDecorator falcon.TransportDecorator

	// Overrides pin kernel support where Falcon's kernel list lags; the
	// first matching override wins over the API.
	Overrides []KernelOverride

	// OnlineWindow is how recently a sensor must have been seen after
	// patching (default 15 min).
	OnlineWindow time.Duration
	// PageSize is the devices-scroll page size (≤ 10000, default 10000);
	// DetailsBatch the IDs per device-details call (≤ 5000, default 5000).
	PageSize     int
	DetailsBatch int
	// MaxRetries bounds retries of a rate-limited (429) or unavailable
	// (502/503/504) request; MaxRetryWait bounds one wait for a rate-limit
	// window to reopen.
	MaxRetries   int
	MaxRetryWait time.Duration
	// StepTimeout is the engine's step budget; when set, MaxRetries and
	// MaxRetryWait are derived from it (runbooks.StepBudget).
	StepTimeout time.Duration

	Clock runbooks.Clock
	Log   *slog.Logger

	// sleep waits d or until ctx ends; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
	// plainHTTP: BaseURL is http, so requests gofalcon builds as https
	// are sent as http.
	plainHTTP bool
}

// Client reads Falcon hosts and kernel support. It implements
// runbooks.Sensors.
type Client struct {
	api       *client.CrowdStrikeAPISpecification
	cfg       Config
	overrides []compiledOverride
	secrets   *secretSet
	log       *slog.Logger
	clock     runbooks.Clock

	kernelPage int // kernels per request; tests lower it
}

var _ runbooks.Sensors = (*Client)(nil)

// New checks cfg, applies defaults and builds the gofalcon client. It makes
// no request: the token is fetched on first use.
func New(cfg Config) (*Client, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	overrides, err := compileOverrides(cfg.Overrides)
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, overrides: overrides, log: cfg.Log, clock: cfg.Clock, secrets: &secretSet{},
		kernelPage: defaultKernelsPerReq}
	c.secrets.add(cfg.ClientSecret)
	c.secrets.add(cfg.AccessToken)
	// The context lives as long as the client (it refreshes tokens); its
	// HTTP client carries token fetches and, below the OAuth2 transport,
	// every API request, where the bearer token is seen and remembered for
	// scrubbing.
	base := &http.Client{}
	if cfg.HTTPClient != nil {
		*base = *cfg.HTTPClient
	}
	next := base.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	if cfg.plainHTTP {
		next = plainHTTP{next}
	}
	base.Transport = &tokenRecorder{next: next, secrets: c.secrets}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, base)
	if cfg.StepTimeout > 0 {
		b := runbooks.StepBudget(cfg.StepTimeout, cfg.MaxRetries+1)
		cfg.MaxRetryWait = min(cfg.MaxRetryWait, b.MaxBackoff)
	}
	limiter := &rateLimiter{maxRetries: cfg.MaxRetries, maxWait: cfg.MaxRetryWait,
		now: cfg.Clock.Now, sleep: cfg.sleep, log: cfg.Log}
	ac := &falcon.ApiConfig{
		ClientId:          cfg.ClientID,
		ClientSecret:      cfg.ClientSecret,
		AccessToken:       cfg.AccessToken,
		Context:           ctx,
		HostOverride:      cfg.HostOverride,
		BasePathOverride:  cfg.BasePathOverride,
		UserAgentOverride: "patchgate",
		TransportDecorator: func(rt http.RoundTripper) http.RoundTripper {
			if cfg.TransportDecorator != nil {
				rt = cfg.TransportDecorator(rt)
			}
			limiter.next = rt
			// Outermost: a silent API, or a proxy's page, fails as a
			// CallError naming the request (tokens never reach it).
			return runbooks.DescribeTransport(limiter, 0, "providers.falcon (cloud or host)", describeFalcon)
		},
	}
	if cfg.HostOverride == "" {
		cloud, err := falcon.CloudValidate(cfg.Cloud)
		if err != nil {
			return nil, fmt.Errorf("falcon cloud %q: %w", cfg.Cloud, err)
		}
		ac.Cloud = cloud
	}
	api, err := falcon.NewClient(ac)
	if err != nil {
		return nil, fmt.Errorf("falcon client: %w", c.redact(err))
	}
	c.api = api
	return c, nil
}

func (cfg *Config) defaults() error {
	hasCreds := cfg.ClientID != "" && cfg.ClientSecret != ""
	if hasCreds == (cfg.AccessToken != "") {
		return errors.New("falcon: set either client_id and client_secret or an access token")
	}
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return fmt.Errorf("falcon: base URL %q is not an http(s) URL", cfg.BaseURL)
		}
		cfg.HostOverride, cfg.plainHTTP = u.Host, u.Scheme == "http"
	}
	if cfg.Cloud == "" {
		cfg.Cloud = settings.Defaults().Cloud
	}
	if strings.EqualFold(cfg.Cloud, "autodiscover") && cfg.HostOverride == "" {
		return errors.New("falcon: name the cloud (us-1, us-2, eu-1, us-gov-1); autodiscovery is not used")
	}
	if cfg.OnlineWindow <= 0 {
		cfg.OnlineWindow = settings.Defaults().LastSeenWithin
	}
	if cfg.PageSize <= 0 || cfg.PageSize > MaxPageSize {
		cfg.PageSize = MaxPageSize
	}
	if cfg.DetailsBatch <= 0 || cfg.DetailsBatch > MaxDetailsBatch {
		cfg.DetailsBatch = MaxDetailsBatch
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	if cfg.MaxRetryWait <= 0 {
		cfg.MaxRetryWait = DefaultMaxRetryWait
	}
	if cfg.Clock == nil {
		cfg.Clock = runbooks.SystemClock
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.sleep == nil {
		cfg.sleep = ctxsleep.Sleep
	}
	return nil
}

// redact removes the client secret and every token seen from err's text,
// so an SDK error that echoes a request or response never carries one.
func (c *Client) redact(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := bearerRE.ReplaceAllString(c.secrets.scrub(msg), "Bearer [redacted]"); clean != msg {
		return errors.New(clean)
	}
	return err
}

// plainHTTP sends the requests gofalcon builds for https (it knows no
// other scheme) as http, for a BaseURL on http.
type plainHTTP struct{ next http.RoundTripper }

func (t plainHTTP) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "https" {
		req = req.Clone(req.Context())
		req.URL.Scheme = "http"
	}
	return t.next.RoundTrip(req)
}

var bearerRE = regexp.MustCompile(`(?i)bearer\s+[A-Za-z0-9._~+/=-]+`)

// tokenRecorder sits below the OAuth2 transport and remembers the bearer
// tokens it sends, so error text echoing one can be scrubbed.
type tokenRecorder struct {
	next    http.RoundTripper
	secrets *secretSet
}

func (t *tokenRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok {
		t.secrets.addToken(tok)
	}
	return t.next.RoundTrip(req)
}

// secretSet holds the client secret and the bearer tokens the transport has
// sent, for scrubbing error text.
type secretSet struct {
	mu     sync.Mutex
	fixed  []string // configured secret and token
	tokens []string // bearer tokens sent, newest last, at most maxTokens
}

const maxTokens = 8

func (s *secretSet) add(v string) { s.put(v, false) }

func (s *secretSet) addToken(v string) { s.put(v, true) }

func (s *secretSet) put(v string, token bool) {
	if len(v) < 8 { // too short to scrub without mangling ordinary text
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(s.fixed, v) || slices.Contains(s.tokens, v) {
		return
	}
	if !token {
		s.fixed = append(s.fixed, v)
		return
	}
	s.tokens = append(s.tokens, v)
	if len(s.tokens) > maxTokens {
		s.tokens = slices.Delete(s.tokens, 0, 1)
	}
}

func (s *secretSet) scrub(msg string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range slices.Concat(s.fixed, s.tokens) {
		msg = strings.ReplaceAll(msg, v, "[redacted]")
	}
	return msg
}
