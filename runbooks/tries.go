package runbooks

import (
	"context"
	"net/http"
	"sync/atomic"
)

// A call's attempts are counted in its request context, so that the
// CallError a DescribeTransport builds says how many were made whichever
// layer retries: a retry policy above the transport (Azure's pipeline)
// sends every try through it, a retry loop below it (GCP's, Falcon's rate
// limiter) reports each re-send with CountRetry.
type triesKey struct{}

// CountTries returns ctx carrying a fresh attempt counter for one call.
// Retry layers above a DescribeTransport call it once per call, before
// their first try; without it the transport counts per request.
func CountTries(ctx context.Context) context.Context {
	return context.WithValue(ctx, triesKey{}, new(atomic.Int32))
}

// CountRetry records one more attempt of the call req belongs to; a retry
// loop under a DescribeTransport calls it before each re-send.
func CountRetry(req *http.Request) {
	if c, ok := req.Context().Value(triesKey{}).(*atomic.Int32); ok {
		c.Add(1)
	}
}

// countTry counts the attempt req is and returns the request to send (with
// a counter when req had none) and the counter.
func countTry(req *http.Request) (*http.Request, *atomic.Int32) {
	c, ok := req.Context().Value(triesKey{}).(*atomic.Int32)
	if !ok {
		c = new(atomic.Int32)
		req = req.WithContext(context.WithValue(req.Context(), triesKey{}, c))
	}
	c.Add(1)
	return req, c
}

// Attempts is how many attempts the call whose context ctx is has made so
// far; 0 when nothing counted them.
func Attempts(ctx context.Context) int {
	if c, ok := ctx.Value(triesKey{}).(*atomic.Int32); ok {
		return int(c.Load())
	}
	return 0
}
