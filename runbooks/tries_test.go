package runbooks_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

// proxyPage answers every request as a proxy's HTML error page does.
type proxyPage struct{ sent int }

func (p *proxyPage) RoundTrip(*http.Request) (*http.Response, error) {
	p.sent++
	return &http.Response{StatusCode: 500, Header: http.Header{"Content-Type": {"text/html"}},
		Body: io.NopCloser(strings.NewReader("<html>Proxy error</html>"))}, nil
}

// retryBelow re-sends like GCP's retry loop and Falcon's rate limiter do:
// under the describing transport, reporting each re-send.
type retryBelow struct {
	next  http.RoundTripper
	tries int
}

func (r retryBelow) RoundTrip(req *http.Request) (*http.Response, error) {
	for i := 1; ; i++ {
		if i > 1 {
			runbooks.CountRetry(req)
		}
		resp, err := r.next.RoundTrip(req)
		if err != nil || i == r.tries {
			return resp, err
		}
		resp.Body.Close()
	}
}

func describeTest(*http.Request) runbooks.CallError {
	return runbooks.CallError{System: "test", Service: "svc", Operation: "GET thing"}
}

func attemptsOf(t *testing.T, err error) int {
	t.Helper()
	var ce *runbooks.CallError
	if !errors.As(err, &ce) {
		t.Fatalf("want a CallError, got %v", err)
	}
	return ce.Attempts
}

func TestCallErrorCountsAttemptsOfEachRetryLayer(t *testing.T) {
	req := func(ctx context.Context) *http.Request {
		r, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://api.invalid/thing", nil)
		return r
	}

	// A retry policy above the transport (Azure's pipeline): one counter
	// per call, every try passes the transport.
	page := &proxyPage{}
	above := runbooks.DescribeTransport(page, 0, "test.endpoint", describeTest)
	ctx := runbooks.CountTries(context.Background())
	var err error
	for range 3 {
		_, err = above.RoundTrip(req(ctx))
	}
	if n := attemptsOf(t, err); n != 3 || page.sent != 3 {
		t.Errorf("retries above: attempts %d after %d requests, want 3", n, page.sent)
	}
	if !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("error %q does not say how many attempts", err)
	}

	// A retry loop below it (GCP, Falcon): the transport sees one request.
	page = &proxyPage{}
	below := runbooks.DescribeTransport(retryBelow{next: page, tries: 4}, 0, "test.endpoint", describeTest)
	_, err = below.RoundTrip(req(context.Background()))
	if n := attemptsOf(t, err); n != 4 || page.sent != 4 {
		t.Errorf("retries below: attempts %d after %d requests, want 4", n, page.sent)
	}

	// Separate calls never share a count.
	page = &proxyPage{}
	plain := runbooks.DescribeTransport(page, 0, "test.endpoint", describeTest)
	for range 2 {
		_, err = plain.RoundTrip(req(context.Background()))
	}
	if n := attemptsOf(t, err); n != 1 {
		t.Errorf("one try per call: attempts %d, want 1", n)
	}
}
