// Package pagerduty pages people through the PagerDuty Events API v2 and
// records production patch windows as PagerDuty change events. It speaks to
// PagerDuty with go-pagerduty's client methods, pointed at a configurable
// events host, and retries 429s and 5xx with backoff. It keeps no state:
// PagerDuty de-duplicates triggers on the dedup key, and the engine keeps
// the page in its store until a call here succeeds.
package pagerduty

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	pd "github.com/PagerDuty/go-pagerduty"

	"github.com/patchgate/patchgate/runbooks"
)

// DefaultEventsURL is PagerDuty's public Events API v2 host; alerts go to
// /v2/enqueue and change events to /v2/change/enqueue on it.
const DefaultEventsURL = "https://events.pagerduty.com"

// DefaultMaxRetries is how often a 429 or 5xx is retried within one call
// when Config leaves MaxRetries zero.
const DefaultMaxRetries = 4

// maxSummary is the Events API's limit on a summary, in characters.
const maxSummary = 1024

// Config configures a Client.
type Config struct {
	// RoutingKey is the integration key of the PagerDuty service, already
	// resolved from its secret. It is sent in request bodies only and never
	// appears in an error or a log line.
	RoutingKey string
	// EventsURL is the Events API v2 base URL (scheme and host). A full
	// enqueue URL (…/v2/enqueue) is accepted too. Default DefaultEventsURL.
	EventsURL string
	// Source, Component and Group fill the alert payload's fields of the
	// same names. Source defaults to "patchgate".
	Source, Component, Group string
	// Links, when set, returns a link (the cycle's Slack thread) for a dedup
	// key; it is attached to the alert and to its custom details.
	Links func(dedupKey string) string
	// HTTPClient sends the requests; default a client with a 10 s timeout.
	HTTPClient *http.Client
	// MaxRetries is how many times a 429 or 5xx is retried within one call
	// (default 4); the engine tries again on its next tick after that.
	MaxRetries int
	// Backoff is the wait before retry attempt n (1-based) when PagerDuty
	// sent no Retry-After; default exponential from 500 ms with jitter,
	// capped at 8 s.
	Backoff func(attempt int) time.Duration
	// StepTimeout is the engine's step budget; when set, the per-request
	// timeout, MaxRetries and the longest backoff are derived from it
	// (runbooks.StepBudget) so a call ends inside the step.
	StepTimeout time.Duration
	Log         *slog.Logger
}

// Client is a runbooks.Pager and runbooks.Changes on PagerDuty.
type Client struct {
	cfg Config
	api *pd.Client
	log *slog.Logger
}

var (
	_ runbooks.Pager   = (*Client)(nil)
	_ runbooks.Changes = (*Client)(nil)
)

// New checks cfg, fills its defaults and returns a client.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.RoutingKey) == "" {
		return nil, runbooks.Errorf(runbooks.CodeInvalid, "pagerduty: a routing key is required")
	}
	base, err := eventsBase(cfg.EventsURL)
	if err != nil {
		return nil, err
	}
	cfg.EventsURL = base
	if cfg.Source == "" {
		cfg.Source = "patchgate"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.StepTimeout > 0 {
		b := runbooks.StepBudget(cfg.StepTimeout, cfg.MaxRetries+1)
		hc := *cfg.HTTPClient
		if hc.Timeout == 0 || hc.Timeout > b.PerAttempt {
			hc.Timeout = b.PerAttempt
		}
		cfg.HTTPClient = &hc
		backoff := cfg.Backoff
		cfg.Backoff = func(n int) time.Duration { return min(backoff(n), b.MaxBackoff) }
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	api := pd.NewClient(cfg.RoutingKey, pd.WithV2EventsAPIEndpoint(base))
	// The recorder keeps the status, Retry-After and body of a refused
	// request, which go-pagerduty's APIError drops for Events API replies.
	api.HTTPClient = recorder{cfg.HTTPClient}
	return &Client{cfg: cfg, api: api, log: cfg.Log.With("provider", "pagerduty")}, nil
}

// eventsBase turns the configured URL into the base go-pagerduty appends
// /v2/enqueue and /v2/change/enqueue to.
func eventsBase(u string) (string, error) {
	if u == "" {
		return DefaultEventsURL, nil
	}
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return "", runbooks.Errorf(runbooks.CodeInvalid, "pagerduty: events URL %q is not an http(s) URL", u)
	}
	u = strings.TrimRight(u, "/")
	u = strings.TrimSuffix(u, "/v2/change/enqueue")
	u = strings.TrimSuffix(u, "/v2/enqueue")
	return u, nil
}

// DefaultBackoff waits 500 ms before the first retry, doubling each time up
// to 8 s, with up to a quarter taken off at random so replicas spread out.
func DefaultBackoff(attempt int) time.Duration {
	d := 500 * time.Millisecond
	for i := 1; i < attempt && d < 8*time.Second; i++ {
		d *= 2
	}
	d = min(d, 8*time.Second)
	return d - time.Duration(rand.Int64N(int64(d/4)+1))
}

// Trigger opens (or, for a dedup key already open, adds to) the incident of
// p.DedupKey.
func (c *Client) Trigger(ctx context.Context, p runbooks.Page) error {
	if p.DedupKey == "" {
		return runbooks.Errorf(runbooks.CodeInvalid, "pagerduty: a page needs a dedup key")
	}
	details := make(map[string]string, len(p.Details)+1)
	for k, v := range p.Details {
		details[k] = v
	}
	ev := &pd.V2Event{
		RoutingKey: c.cfg.RoutingKey,
		Action:     "trigger",
		DedupKey:   p.DedupKey,
		Client:     "patchgate",
		Payload: &pd.V2Payload{
			Summary:   truncate(p.Summary, maxSummary),
			Source:    c.cfg.Source,
			Severity:  severity(p.Severity),
			Component: c.cfg.Component,
			Group:     c.cfg.Group,
			Class:     "patch-cycle",
			Details:   details,
		},
	}
	if c.cfg.Links != nil {
		if u := c.cfg.Links(p.DedupKey); u != "" {
			ev.Links = []any{map[string]string{"href": u, "text": "Slack thread"}}
			ev.ClientURL = u
			if _, ok := details["slack_thread"]; !ok {
				details["slack_thread"] = u
			}
		}
	}
	return c.event(ctx, ev)
}

// Acknowledge acknowledges the incident of dedupKey; PagerDuty accepts it
// for an unknown or already acknowledged key too.
func (c *Client) Acknowledge(ctx context.Context, dedupKey string) error {
	return c.event(ctx, &pd.V2Event{RoutingKey: c.cfg.RoutingKey, Action: "acknowledge", DedupKey: dedupKey})
}

// Resolve resolves the incident of dedupKey.
func (c *Client) Resolve(ctx context.Context, dedupKey string) error {
	return c.event(ctx, &pd.V2Event{RoutingKey: c.cfg.RoutingKey, Action: "resolve", DedupKey: dedupKey})
}

func (c *Client) event(ctx context.Context, ev *pd.V2Event) error {
	if ev.DedupKey == "" {
		return runbooks.Errorf(runbooks.CodeInvalid, "pagerduty: %s needs a dedup key", ev.Action)
	}
	return c.send(ctx, ev.Action, ev.DedupKey, func(ctx context.Context) (string, error) {
		r, err := c.api.ManageEventWithContext(ctx, ev)
		if err != nil {
			return "", err
		}
		if r.Status != "" && r.Status != "success" {
			return "", fmt.Errorf("status %q: %s", r.Status, r.Message)
		}
		return r.DedupKey, nil
	})
}

// Change sends a change event (a production patch window starting or
// ending), shown next to any incident it causes.
func (c *Client) Change(ctx context.Context, ev runbooks.ChangeEvent) error {
	ce := pd.ChangeEvent{
		RoutingKey: c.cfg.RoutingKey,
		Payload: pd.ChangeEventPayload{
			Summary: truncate(ev.Summary, maxSummary),
			Source:  c.cfg.Source,
		},
	}
	if !ev.At.IsZero() {
		ce.Payload.Timestamp = ev.At.UTC().Format(time.RFC3339)
	}
	if len(ev.Details) > 0 {
		ce.Payload.CustomDetails = make(map[string]any, len(ev.Details))
		for k, v := range ev.Details {
			ce.Payload.CustomDetails[k] = v
		}
	}
	return c.send(ctx, "change", "", func(ctx context.Context) (string, error) {
		r, err := c.api.CreateChangeEventWithContext(ctx, ce)
		if err != nil {
			return "", err
		}
		if r.Status != "" && r.Status != "success" {
			return "", fmt.Errorf("status %q: %s", r.Status, r.Message)
		}
		return "", nil
	})
}

// severity maps a page's severity to one the Events API accepts.
func severity(s string) string {
	switch s = strings.ToLower(s); s {
	case "critical", "error", "warning", "info":
		return s
	}
	return runbooks.SeverityError
}

// truncate shortens s to at most n characters, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
