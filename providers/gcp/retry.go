package gcp

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// retrying repeats a request Google refused for load (429), and a read
// that met a passing outage (500, 502, 503, 504), a few times with
// backoff, honouring Retry-After. A write is repeated only after a 429,
// which Google sends before doing anything: a 5xx on patchJobs.execute may
// have started a job, and FindPatch is how that is recovered.
type retrying struct {
	base     http.RoundTripper
	attempts int
	sleep    func(context.Context, time.Duration) error
	// perTry bounds one attempt and maxWait the wait between two (both
	// from the step budget); zero leaves them unbounded.
	perTry, maxWait time.Duration
}

func (r *retrying) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			runbooks.CountRetry(req)
		}
		treq, cancel := perTry(req, r.perTry)
		resp, err := r.base.RoundTrip(treq)
		if err != nil {
			cancel()
		} else {
			resp.Body = cancelOnClose{resp.Body, cancel}
		}
		if err != nil || attempt >= r.attempts || !r.again(req, resp.StatusCode) {
			return resp, err
		}
		if req.Body != nil {
			if req.GetBody == nil {
				return resp, nil // cannot send the body again
			}
			body, gerr := req.GetBody()
			if gerr != nil {
				return resp, nil
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
		wait := backoff(attempt, resp.Header.Get("Retry-After"))
		if r.maxWait > 0 {
			wait = min(wait, r.maxWait)
		}
		resp.Body.Close()
		if err := r.sleep(req.Context(), wait); err != nil {
			return nil, fmt.Errorf("wait to retry %s %s: %w", req.Method, req.URL.Path, err)
		}
	}
}

func (r *retrying) again(req *http.Request, code int) bool {
	switch code {
	case http.StatusTooManyRequests:
		return true
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return req.Method == http.MethodGet
	}
	return false
}

// backoff is Retry-After when Google gives seconds, else 1s, 2s, 4s, …
// capped at 30s.
func backoff(attempt int, retryAfter string) time.Duration {
	if s, err := strconv.Atoi(retryAfter); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, 60*time.Second)
	}
	return min(time.Second<<(attempt-1), 30*time.Second)
}
