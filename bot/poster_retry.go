package bot

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"regexp"
	"syscall"
	"time"

	"github.com/slack-go/slack"
)

// retryPolicy decides whether and when a failed Slack call is sent again.
type retryPolicy struct {
	base, max time.Duration // transient failures back off from base to max
	// minRateWait is waited on a 429 that names no Retry-After.
	minRateWait time.Duration
}

var defaultRetry = retryPolicy{base: 500 * time.Millisecond, max: 30 * time.Second, minRateWait: time.Second}

// after says how long to wait before sending a call that failed with err for
// the attempt-th time (0-based), or false if it will never succeed.
func (r retryPolicy) after(err error, attempt int) (time.Duration, bool) {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return max(rl.RetryAfter, r.minRateWait), true
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "ratelimited", "rate_limited":
			return r.minRateWait, true
		case "internal_error", "fatal_error", "service_unavailable", "request_timeout":
			return r.backoff(attempt), true
		}
		return 0, false // channel_not_found, invalid_blocks, not_in_channel, invalid_auth…
	}
	if transient(err) {
		return r.backoff(attempt), true
	}
	return 0, false
}

// backoff doubles from base up to max, with ±20 % jitter so replicas that
// failed together do not retry together.
func (r retryPolicy) backoff(attempt int) time.Duration {
	d := r.base
	for range min(attempt, 16) {
		d *= 2
		if d >= r.max {
			d = r.max
			break
		}
	}
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * jitter)
}

// errTransient marks a failure worth retrying that is not Slack's own, such
// as the state store being briefly unavailable during a call's bookkeeping.
type errTransient struct{ err error }

func (e errTransient) Error() string { return e.err.Error() }
func (e errTransient) Unwrap() error { return e.err }

// transient reports whether err is a failure that a later attempt may not
// meet: a Slack 5xx or 429, a network error, a connection cut short.
func transient(err error) bool {
	var (
		tr  errTransient
		sc  slack.StatusCodeError
		ne  net.Error
		ope *net.OpError
	)
	switch {
	case errors.As(err, &tr):
		return true
	case errors.As(err, &sc):
		return sc.Retryable()
	case errors.As(err, &ne), errors.As(err, &ope):
		return true
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE):
		return true
	}
	return false
}

// secretPattern matches Slack tokens and the one-time upload URLs files v2
// hands out, neither of which may reach a log.
var secretPattern = regexp.MustCompile(`xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|https?://[^\s"']*/upload/[^\s"']*`)

// safeErr is err's text with anything secret-looking redacted, for logs.
func safeErr(err error) string {
	if err == nil {
		return ""
	}
	return secretPattern.ReplaceAllString(err.Error(), "[redacted]")
}
