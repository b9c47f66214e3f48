package falcon

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// rateLimiter is the outermost transport: it keeps Falcon's rate-limit
// headers, holds requests while the window is spent (X-Ratelimit-Remaining
// reached 0) until X-Ratelimit-Retryafter, and retries a 429 (and a 502,
// 503 or 504) a bounded number of times.
type rateLimiter struct {
	next       http.RoundTripper
	maxRetries int
	maxWait    time.Duration
	now        func() time.Time
	sleep      func(ctx context.Context, d time.Duration) error
	log        *slog.Logger

	mu        sync.Mutex
	holdUntil time.Time // set when a response said the window is spent
}

// Rate-limit headers (Go canonicalises them; Falcon sends X-Ratelimit-*).
const (
	hdrRemaining  = "X-Ratelimit-Remaining"
	hdrRetryAfter = "X-Ratelimit-Retryafter"
)

func (rl *rateLimiter) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := bufferBody(req)
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			runbooks.CountRetry(req)
		}
		if err := rl.waitWindow(ctx); err != nil {
			return nil, err
		}
		try := req
		if body != nil {
			try = req.Clone(ctx)
			try.Body = io.NopCloser(bytes.NewReader(body))
		}
		resp, err := rl.next.RoundTrip(try)
		if err != nil {
			return nil, err
		}
		rl.observe(resp)
		retry, wait := rl.retryable(resp, attempt)
		if !retry {
			return resp, nil
		}
		drain(resp)
		rl.log.Warn("falcon request throttled, retrying",
			"path", req.URL.Path, "status", resp.StatusCode, "wait", wait, "attempt", attempt+1)
		rl.mu.Lock()
		until := rl.holdUntil
		rl.mu.Unlock()
		if err := rl.pause(ctx, wait); err != nil {
			return nil, err
		}
		rl.release(until) // the retry's own wait covered the window
	}
}

// retryable says whether resp should be retried and after how long.
func (rl *rateLimiter) retryable(resp *http.Response, attempt int) (bool, time.Duration) {
	if attempt >= rl.maxRetries {
		return false, 0
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		if at, ok := retryAt(resp.Header); ok {
			return true, max(at.Sub(rl.now()), time.Second)
		}
		return true, backoff(attempt)
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true, backoff(attempt)
	}
	return false, 0
}

// observe notes a spent window (X-Ratelimit-Remaining 0): requests wait
// until X-Ratelimit-Retryafter, or a second when it is missing.
func (rl *rateLimiter) observe(resp *http.Response) {
	n, err := strconv.ParseInt(resp.Header.Get(hdrRemaining), 10, 64)
	if err != nil || n > 0 {
		return
	}
	until := rl.now().Add(time.Second)
	if at, ok := retryAt(resp.Header); ok {
		until = at
	}
	rl.mu.Lock()
	rl.holdUntil = until
	rl.mu.Unlock()
}

// waitWindow holds a request while the window is spent, then forgets the
// hold: the next response tells the new window.
func (rl *rateLimiter) waitWindow(ctx context.Context) error {
	rl.mu.Lock()
	until := rl.holdUntil
	rl.mu.Unlock()
	if until.IsZero() {
		return nil
	}
	if wait := until.Sub(rl.now()); wait > 0 {
		rl.log.Info("falcon rate-limit window spent, waiting", "wait", wait)
		if err := rl.pause(ctx, wait); err != nil {
			return err
		}
	}
	rl.release(until)
	return nil
}

// release forgets a hold that has been waited out, unless a newer one came.
func (rl *rateLimiter) release(until time.Time) {
	rl.mu.Lock()
	if rl.holdUntil.Equal(until) {
		rl.holdUntil = time.Time{}
	}
	rl.mu.Unlock()
}

func (rl *rateLimiter) pause(ctx context.Context, d time.Duration) error {
	if d > rl.maxWait {
		return fmt.Errorf("falcon rate limit: the API asks to wait %s, more than the %s allowed", d.Round(time.Second), rl.maxWait)
	}
	if dl, ok := ctx.Deadline(); ok && rl.now().Add(d).After(dl) {
		return fmt.Errorf("falcon rate limit: waiting %s would pass the deadline: %w", d.Round(time.Second), context.DeadlineExceeded)
	}
	return rl.sleep(ctx, d)
}

// retryAt parses X-Ratelimit-Retryafter, a Unix time in seconds.
func retryAt(h http.Header) (time.Time, bool) {
	s := h.Get(hdrRetryAfter)
	if s == "" {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil || sec <= 0 {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}

func backoff(attempt int) time.Duration {
	return min(time.Second<<attempt, 30*time.Second)
}

// bufferBody reads the request body once so every attempt sends a copy.
func bufferBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read request body of %s: %w", req.URL.Path, err)
	}
	return b, nil
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}
