package dynatrace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// Body size limits: a page of 500 problems with their entities stays well
// under maxBody; an error body is a short JSON object.
const (
	maxBody      = 8 << 20
	maxErrorBody = 64 << 10
	maxBackoff   = 10 * time.Second
)

// APIError is a non-2xx answer of the Dynatrace API, with the code and
// message of its documented error body {"error":{"code":…,"message":…}}.
type APIError struct {
	Status  int    // HTTP status
	Code    int    // error.code of the body, 0 if the body had none
	Message string // error.message, or the start of a non-JSON body
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d", e.Status)
	if e.Code != 0 && e.Code != e.Status {
		fmt.Fprintf(&b, " (code %d)", e.Code)
	}
	switch e.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		b.WriteString(": the API token was refused or lacks the problems.read scope")
	case http.StatusTooManyRequests:
		b.WriteString(": rate limited")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// retryable reports whether the same request may succeed later.
func (e *APIError) retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// get fetches /api/v2/problems?q into v, retrying 429s (after Retry-After),
// 5xx answers and transport errors with backoff.
func (c *Client) get(ctx context.Context, scope string, q url.Values, v any) error {
	u := c.cfg.BaseURL + "/api/v2/problems?" + q.Encode()
	for attempt := 0; ; attempt++ {
		wait, err := c.try(ctx, u, v)
		if err == nil {
			return nil
		}
		if wait < 0 || attempt >= c.cfg.MaxRetries || ctx.Err() != nil {
			return c.callError(attempt+1, err)
		}
		if wait == 0 {
			wait = c.backoff(attempt)
		}
		c.cfg.Log.Warn("dynatrace request failed; retrying", "scope", scope,
			"attempt", attempt+1, "wait", wait, "err", c.redact(err))
		if serr := c.sleep(ctx, wait); serr != nil {
			return c.callError(attempt+1, fmt.Errorf("%w (stopped waiting to retry: %v)", err, serr))
		}
	}
}

// callError describes a failed problems call for the operator; the token
// is already removed from err.
func (c *Client) callError(attempts int, err error) error {
	ce := &runbooks.CallError{System: "dynatrace", Service: "problems", Operation: "GET /api/v2/problems",
		Attempts: attempts, Timeout: c.cfg.Timeout, Endpoint: "providers.dynatrace.url", Err: err}
	if u, perr := url.Parse(c.cfg.BaseURL); perr == nil {
		ce.Scope = "environment " + u.Host
	}
	var ae *APIError
	if errors.As(err, &ae) {
		ce.Status = ae.Status
		if !strings.Contains(strings.ToLower(ae.Message), "<html") {
			// Dynatrace's own refusal already reads well.
			if attempts > 1 {
				return fmt.Errorf("gave up after %d attempts: %w", attempts, err)
			}
			return err
		}
		ce.Cause = ce.PlainCause() + " (body: " + ae.Message + ")"
	}
	return ce
}

// try makes one request. On failure it returns how long to wait before a
// retry: 0 for the usual backoff, a Retry-After wait, or -1 for "do not
// retry".
func (c *Client) try(ctx context.Context, u string, v any) (time.Duration, error) {
	rctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return -1, err
	}
	req.Header.Set("Authorization", "Api-Token "+c.cfg.Token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "patchgate")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, c.transportError(ctx, rctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		apiErr := readAPIError(resp)
		apiErr.Message = strings.ReplaceAll(apiErr.Message, c.cfg.Token, "[redacted]")
		if !apiErr.retryable() {
			return -1, apiErr
		}
		return c.retryAfter(resp.Header), apiErr
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return 0, c.transportError(ctx, rctx, err)
	}
	if len(body) > maxBody {
		return -1, fmt.Errorf("response body larger than %d bytes", maxBody)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return -1, fmt.Errorf("decode response (HTTP %d, %s): %w", resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	return 0, nil
}

// transportError names a per-request timeout as such; the caller's own
// cancellation is returned as it is.
func (c *Client) transportError(ctx, rctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(rctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("no answer within %s: %w", c.cfg.Timeout, context.DeadlineExceeded)
	}
	return err
}

// readAPIError reads a bounded error body and parses the documented shape.
func readAPIError(resp *http.Response) *APIError {
	e := &APIError{Status: resp.StatusCode}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var wire struct {
		Error struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &wire) == nil && (wire.Error.Code != 0 || wire.Error.Message != "") {
		e.Code, e.Message = wire.Error.Code, wire.Error.Message
	} else {
		e.Message = strings.TrimSpace(string(body))
	}
	if len(e.Message) > 300 {
		e.Message = e.Message[:300] + "…"
	}
	return e
}

// retryAfter is the wait a Retry-After header asks for (seconds or an HTTP
// date), capped at MaxRetryWait; 0 when absent.
func (c *Client) retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = time.Until(t)
	}
	if d <= 0 {
		return time.Millisecond
	}
	return min(d, c.cfg.MaxRetryWait)
}

// backoff is RetryBackoff doubled per earlier retry, with up to 25 %
// jitter so replicas do not retry in step, capped at 10 s.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.RetryBackoff << min(attempt, 10)
	d += time.Duration(rand.Int64N(int64(d)/4 + 1))
	return min(d, maxBackoff)
}

// redact removes the token from an error's text, in case a server or proxy
// echoed it.
func (c *Client) redact(err error) error {
	if err == nil || !strings.Contains(err.Error(), c.cfg.Token) {
		return err
	}
	return &redacted{msg: strings.ReplaceAll(err.Error(), c.cfg.Token, "[redacted]"), err: err}
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }
