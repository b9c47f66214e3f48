package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"

	"github.com/patchgate/patchgate/runbooks"
)

// maxRetryAfter bounds how long a Retry-After is honoured within one call.
const maxRetryAfter = 2 * time.Minute

// Error is an event PagerDuty refused, or that got no answer, after the
// client's retries. It never holds the routing key.
type Error struct {
	Action     string // trigger, acknowledge, resolve or change
	DedupKey   string // "" for change events
	StatusCode int    // 0 when no HTTP response arrived
	Status     string // PagerDuty's status, e.g. "invalid event"
	Message    string
	Errors     []string
	RetryAfter time.Duration // what PagerDuty asked for on a 429, if anything
	Attempts   int
	cause      error  // go-pagerduty's error (an APIError for an HTTP refusal)
	causeText  string // cause's text with the routing key removed
	stopped    error  // the context's error when it ended the retries
	// contentType is the refusal's Content-Type: a proxy's HTML page is
	// told apart from PagerDuty's own JSON refusal.
	contentType string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pagerduty %s", e.Action)
	if e.DedupKey != "" {
		fmt.Fprintf(&b, " %s", e.DedupKey)
	}
	switch {
	case e.StatusCode != 0:
		fmt.Fprintf(&b, ": HTTP %d", e.StatusCode)
		if e.Status != "" {
			fmt.Fprintf(&b, " %s", e.Status)
		}
		if e.Message != "" {
			fmt.Fprintf(&b, ": %s", e.Message)
		}
		if len(e.Errors) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(e.Errors, "; "))
		}
		if e.Status == "" && e.Message == "" && len(e.Errors) == 0 {
			fmt.Fprintf(&b, ": %s", e.causeText)
		}
	default:
		fmt.Fprintf(&b, ": %s", e.causeText)
	}
	fmt.Fprintf(&b, " after %d attempt(s)", e.Attempts)
	if e.stopped != nil {
		fmt.Fprintf(&b, "; stopped: %v", e.stopped)
	}
	return b.String()
}

// Unwrap exposes go-pagerduty's error (errors.As to pd.APIError) and, when
// the context ended the retries, the context's error.
func (e *Error) Unwrap() []error {
	out := []error{e.cause}
	if e.stopped != nil {
		out = append(out, e.stopped)
	}
	return out
}

// Temporary reports whether sending again later may succeed: PagerDuty was
// rate limiting, failing (5xx, 408) or unreachable. A 400 (an invalid
// routing key or event) will not succeed by retrying.
func (e *Error) Temporary() bool {
	var ae pd.APIError
	if errors.As(e.cause, &ae) {
		return ae.RateLimited() || ae.Temporary() || ae.StatusCode == http.StatusRequestTimeout
	}
	return e.StatusCode == 0 // no reply: a network error or timeout
}

// send makes one event call with retries: 429 waits for Retry-After (or the
// backoff), 5xx and network errors wait for the backoff; anything else, or
// MaxRetries spent, or ctx ending, returns an *Error.
func (c *Client) send(ctx context.Context, action, key string, call func(context.Context) (string, error)) error {
	if err := c.sendRetrying(ctx, action, key, call); err != nil {
		return c.callError(action, err)
	}
	return nil
}

// callError describes a failed event call for the operator; the *Error it
// wraps has the routing key already removed.
func (c *Client) callError(action string, err *Error) error {
	if err == nil {
		return nil
	}
	op := "enqueue"
	if action == "change" {
		op = "change/enqueue"
	}
	ce := &runbooks.CallError{System: "pagerduty", Service: "events", Operation: op + " " + action,
		Attempts: err.Attempts, Status: err.StatusCode, Timeout: c.cfg.HTTPClient.Timeout,
		Endpoint: "providers.pagerduty.events_url", Err: err}
	switch {
	case strings.Contains(strings.ToLower(err.contentType), "html"):
		ce.Cause = runbooks.Classify(fmt.Errorf("text/html: %w", err), err.StatusCode, ce.Timeout, ce.Endpoint).Text
	case err.StatusCode == 0 && ce.PlainCause() != err.causeText:
		// No answer, refused, DNS: the plain cause says more than the SDK.
	default:
		return err // PagerDuty's own refusal already reads well
	}
	return ce
}

func (c *Client) sendRetrying(ctx context.Context, action, key string, call func(context.Context) (string, error)) *Error {
	log := c.log.With("action", action)
	if key != "" {
		log = log.With("dedup_key", key)
	}
	for attempt := 1; ; attempt++ {
		x := &exchange{}
		got, err := call(context.WithValue(ctx, exchangeKey{}, x))
		if err == nil {
			log.Debug("pagerduty accepted the event", "attempt", attempt, "reply_dedup_key", got)
			return nil
		}
		e := c.refusal(action, key, attempt, x, err)
		if ctx.Err() != nil {
			e.stopped = ctx.Err()
			log.Warn("pagerduty event not sent", "attempts", attempt, "status", e.StatusCode, "err", e.Error())
			return e
		}
		if !e.Temporary() || attempt > c.cfg.MaxRetries {
			log.Warn("pagerduty event not sent", "attempts", attempt, "status", e.StatusCode, "err", e.Error())
			return e
		}
		wait := c.cfg.Backoff(attempt)
		if e.RetryAfter > 0 {
			wait = min(e.RetryAfter, maxRetryAfter)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			// Waiting would outlive the call; the engine tries again on a
			// later tick, so give up now rather than at the deadline.
			e.stopped = fmt.Errorf("next attempt due in %s, after the call's deadline", wait)
			log.Warn("pagerduty event not sent", "attempts", attempt, "status", e.StatusCode, "err", e.Error())
			return e
		}
		log.Info("pagerduty event failed; retrying", "attempt", attempt, "status", e.StatusCode, "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			e.stopped = ctx.Err()
			log.Warn("pagerduty event not sent", "attempts", attempt, "status", e.StatusCode, "err", e.Error())
			return e
		case <-t.C:
		}
	}
}

// refusal builds the Error of one failed attempt from go-pagerduty's error
// and what the recorder saw of the response.
func (c *Client) refusal(action, key string, attempt int, x *exchange, err error) *Error {
	e := &Error{Action: action, DedupKey: key, Attempts: attempt, cause: err,
		causeText: c.redact(err.Error())}
	var ae pd.APIError
	if errors.As(err, &ae) {
		e.StatusCode = ae.StatusCode
	} else if x.status/100 == 2 {
		// Accepted, but the reply did not parse or said no.
		e.StatusCode = x.status
	}
	if x.status != 0 && x.status/100 != 2 {
		e.StatusCode = x.status
		e.Status = c.redact(x.reply.Status)
		e.Message = c.redact(x.reply.Message)
		for _, s := range x.reply.Errors {
			e.Errors = append(e.Errors, c.redact(s))
		}
		e.RetryAfter = x.retryAfter
		e.contentType = x.contentType
	}
	return e
}

// redact removes the routing key from text that came back from the wire.
func (c *Client) redact(s string) string {
	return strings.ReplaceAll(s, c.cfg.RoutingKey, "[routing key]")
}

// exchange is what the recorder saw of one request's response.
type exchange struct {
	status      int
	contentType string
	retryAfter  time.Duration
	reply       eventsReply
}

// eventsReply is the Events API's reply body, e.g.
// {"status":"invalid event","message":"Event object is invalid","errors":["…"]}.
type eventsReply struct {
	Status  string   `json:"status"`
	Message string   `json:"message"`
	Errors  []string `json:"errors"`
}

type exchangeKey struct{}

// recorder is the pd.HTTPClient: it sends with the configured client and
// notes the status, Retry-After and body of a refusal in the exchange the
// request's context carries, leaving the body readable for go-pagerduty.
type recorder struct{ c *http.Client }

func (r recorder) Do(req *http.Request) (*http.Response, error) {
	resp, err := r.c.Do(req)
	x, _ := req.Context().Value(exchangeKey{}).(*exchange)
	if err != nil || x == nil {
		return resp, err
	}
	x.status, x.contentType = resp.StatusCode, resp.Header.Get("Content-Type")
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	b, rerr := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if rerr == nil {
		_ = json.Unmarshal(b, &x.reply) // a non-JSON body leaves the reply empty
	}
	x.retryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil {
		return max(time.Duration(s)*time.Second, 0)
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
