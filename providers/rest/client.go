// Package rest is the JSON-over-HTTP client the change platforms
// (ServiceNow, Jira) share: one request with a per-attempt bound, retries
// of throttling, 5xx answers and silence that fit the engine's step budget
// (runbooks.StepBudget), secrets kept out of every error, and failures
// described as runbooks.CallError. Neither platform has a Go client served
// by the module proxy here, so each is a small client on top of this.
package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/patchgate/patchgate/internal/ctxsleep"
	"github.com/patchgate/patchgate/runbooks"
)

// Body limits: a change record is a few kB; an error body is short.
const (
	maxBody      = 4 << 20
	maxErrorBody = 16 << 10
)

// Config configures a Client.
type Config struct {
	System   string // servicenow, jira: names the system in errors
	BaseURL  string // https://example.service-now.com
	Endpoint string // the configuration key of BaseURL, named in causes
	// Auth sets the credentials on a request (basic auth or a bearer
	// token); Secrets are the strings removed from any error text.
	Auth    func(*http.Request)
	Secrets []string
	// StepTimeout is the engine's step budget the attempts fit into;
	// Attempts is how many (0: runbooks.DefaultAttempts).
	StepTimeout time.Duration
	Attempts    int
	HTTPClient  *http.Client
	Log         *slog.Logger
}

// Client sends JSON requests to one base URL.
type Client struct {
	cfg    Config
	budget runbooks.Budget
	host   string
	// Sleep waits between attempts; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// New validates cfg.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	switch {
	case cfg.BaseURL == "":
		return nil, fmt.Errorf("%s: base URL is empty", cfg.System)
	case err != nil:
		return nil, fmt.Errorf("%s: base URL %q: %w", cfg.System, cfg.BaseURL, err)
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		return nil, fmt.Errorf("%s: base URL %q is not an http(s) URL with a host", cfg.System, cfg.BaseURL)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%s: base URL %q must not have a query or fragment", cfg.System, cfg.BaseURL)
	}
	cfg.BaseURL = strings.TrimRight(u.String(), "/")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Auth == nil {
		cfg.Auth = func(*http.Request) {}
	}
	b := runbooks.StepBudget(cfg.StepTimeout, cfg.Attempts)
	return &Client{cfg: cfg, budget: b, host: u.Host, Sleep: ctxsleep.Sleep}, nil
}

// BaseURL is the configured base URL without a trailing slash.
func (c *Client) BaseURL() string { return c.cfg.BaseURL }

// Budget is the per-call budget the client works to.
func (c *Client) Budget() runbooks.Budget { return c.budget }

// APIError is a 4xx answer of the API, with the message its body gave.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("HTTP %d", e.Status)
	switch e.Status {
	case http.StatusUnauthorized:
		s += " (the credentials were refused)"
	case http.StatusForbidden:
		s += " (the account lacks a role or permission)"
	case http.StatusNotFound:
		s += " (not found)"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// StatusOf returns the HTTP status of an APIError in err's chain, or 0.
func StatusOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// Request is one call.
type Request struct {
	Op     string // the operation named in errors, e.g. "POST /api/sn_chg_rest/v1/change/normal"
	Method string
	Path   string
	Query  url.Values
	Body   any // sent as JSON when non-nil
	// Retry allows retrying after a 5xx or no answer; set it only for
	// requests that are safe to repeat (reads, and writes that set a
	// value). 429 is always retried: the request was not processed.
	Retry bool
}

// Do sends r and decodes a 2xx JSON answer into out (when non-nil).
func (c *Client) Do(ctx context.Context, r Request, out any) error {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = json.Marshal(r.Body); err != nil {
			return fmt.Errorf("%s: encode %s: %w", c.cfg.System, r.Op, err)
		}
	}
	u := c.cfg.BaseURL + r.Path
	if len(r.Query) > 0 {
		u += "?" + r.Query.Encode()
	}
	for attempt := 1; ; attempt++ {
		wait, status, err := c.try(ctx, r, u, body, out)
		if err == nil {
			return nil
		}
		retry := wait >= 0 && (r.Retry || status == http.StatusTooManyRequests)
		if !retry || attempt >= c.budget.Attempts || ctx.Err() != nil {
			return c.callError(r, attempt, status, err)
		}
		if wait == 0 {
			wait = c.backoff(attempt)
		}
		// A Retry-After longer than the budget's pause would not fit the step.
		wait = min(wait, c.budget.MaxBackoff)
		c.cfg.Log.Warn(c.cfg.System+" request failed; retrying", "op", r.Op, "attempt", attempt, "wait", wait, "err", c.redact(err.Error()))
		if serr := c.Sleep(ctx, wait); serr != nil {
			return c.callError(r, attempt, status, fmt.Errorf("%w (stopped waiting to retry: %v)", err, serr))
		}
	}
}

// try makes one attempt. wait is how long to pause before the next (0 for
// the usual backoff, -1 for "do not retry"); status is the answer's HTTP
// status, 0 without one.
func (c *Client) try(ctx context.Context, r Request, u string, body []byte, out any) (time.Duration, int, error) {
	actx, cancel := context.WithTimeout(ctx, c.budget.PerAttempt)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, r.Method, u, rd)
	if err != nil {
		return -1, 0, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "patchgate")
	c.cfg.Auth(req)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s: %w", c.budget.PerAttempt, context.DeadlineExceeded)
		}
		return 0, 0, err
	}
	defer resp.Body.Close()
	ct := strings.ToLower(resp.Header.Get("Content-Type"))
	if resp.StatusCode/100 != 2 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		msg := c.redact(errorMessage(raw, ct))
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			return retryAfter(resp.Header), resp.StatusCode, fmt.Errorf("HTTP %d (%s): %s", resp.StatusCode, orNone(ct), msg)
		}
		return -1, resp.StatusCode, &APIError{Status: resp.StatusCode, Message: msg}
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return 0, resp.StatusCode, fmt.Errorf("read the answer: %w", err)
	}
	if len(raw) > maxBody {
		return -1, resp.StatusCode, fmt.Errorf("answer larger than %d bytes", maxBody)
	}
	if out == nil || len(bytes.TrimSpace(raw)) == 0 && resp.StatusCode == http.StatusNoContent {
		return 0, resp.StatusCode, nil
	}
	if strings.Contains(ct, "html") {
		return 0, resp.StatusCode, fmt.Errorf("HTTP %d answered with an HTML page, not the API's JSON: %s", resp.StatusCode, snippet(raw))
	}
	if err := json.Unmarshal(raw, out); err != nil {
		// A truncated or foreign body: the next attempt may get the whole.
		return 0, resp.StatusCode, fmt.Errorf("decode the answer (HTTP %d, %s): %w", resp.StatusCode, orNone(ct), err)
	}
	return 0, resp.StatusCode, nil
}

// callError describes a failed call for the operator.
func (c *Client) callError(r Request, attempts, status int, err error) error {
	ce := &runbooks.CallError{System: c.cfg.System, Service: "rest", Operation: r.Op, Scope: c.host,
		Attempts: attempts, Status: status, Timeout: c.budget.PerAttempt, Endpoint: c.cfg.Endpoint,
		Err: errors.New(c.redact(err.Error()))}
	var ae *APIError
	if errors.As(err, &ae) {
		ce.Err = ae
		ce.Cause = ae.Error()
	}
	return ce
}

// errorMessage is the readable part of an error body: ServiceNow's
// {"error":{"message","detail"}}, Jira's {"errorMessages":[…],"errors":{…}},
// or the start of anything else.
func errorMessage(raw []byte, ct string) string {
	var w struct {
		Error *struct {
			Message string `json:"message"`
			Detail  string `json:"detail"`
		} `json:"error"`
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}
	if !strings.Contains(ct, "html") && json.Unmarshal(raw, &w) == nil {
		var parts []string
		if w.Error != nil {
			parts = append(parts, w.Error.Message)
			if w.Error.Detail != "" {
				parts = append(parts, w.Error.Detail)
			}
		}
		parts = append(parts, w.ErrorMessages...)
		for k, v := range w.Errors {
			parts = append(parts, k+": "+v)
		}
		if s := strings.TrimSpace(strings.Join(parts, "; ")); s != "" {
			return s
		}
	}
	return snippet(raw)
}

func snippet(raw []byte) string {
	s := strings.TrimSpace(string(bytes.ToValidUTF8(raw, nil)))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func orNone(ct string) string {
	if ct == "" {
		return "no content type"
	}
	return ct
}

// redact removes every secret from s.
func (c *Client) redact(s string) string {
	for _, sec := range c.cfg.Secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

// backoff grows with the attempt, with jitter so replicas do not retry in
// step, and never beyond the budget's pause.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.budget.MaxBackoff / 4 << min(attempt-1, 2)
	d += time.Duration(rand.Int64N(int64(d)/4 + 1))
	return min(d, c.budget.MaxBackoff)
}

// retryAfter is the pause a Retry-After header asks for (seconds), 0 when
// absent.
func retryAfter(h http.Header) time.Duration {
	if secs, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	return 0
}
