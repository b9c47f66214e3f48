package runbooks

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// DescribeTransport wraps an SDK's HTTP transport so that a request that
// gets no answer, or gets an answer that is not the API's (a 5xx, or an
// HTML page from a proxy), fails with a CallError that describe fills in
// (system, service, operation, scope). Other answers, 4xx included, pass
// through untouched: the SDK's own error types carry their meaning (404,
// 409) to the provider. timeout is the per-attempt budget named in a
// no-answer cause.
func DescribeTransport(base http.RoundTripper, timeout time.Duration, endpoint string, describe func(*http.Request) CallError) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &describingTransport{base: base, timeout: timeout, endpoint: endpoint, describe: describe}
}

type describingTransport struct {
	base     http.RoundTripper
	timeout  time.Duration
	endpoint string
	describe func(*http.Request) CallError
}

func (t *describingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req, tries := countTry(req)
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, t.callError(req, tries, 0, err)
	}
	ct := strings.ToLower(resp.Header.Get("Content-Type"))
	if resp.StatusCode < 500 && !strings.Contains(ct, "html") {
		return resp, nil
	}
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	raw := fmt.Errorf("%s %s: HTTP %d (%s): %s", req.Method, req.URL.Path, resp.StatusCode, orDefault(ct, "no content type"),
		strings.TrimSpace(string(bytes.ToValidUTF8(snippet, nil))))
	ce := t.callError(req, tries, resp.StatusCode, raw)
	if strings.Contains(ct, "html") || (len(snippet) > 0 && !jsonOrXML(snippet)) {
		ce.Cause = Classify(fmt.Errorf("text/html: %w", raw), resp.StatusCode, t.timeout, t.endpoint).Text
	}
	return nil, ce
}

func (t *describingTransport) callError(req *http.Request, tries *atomic.Int32, status int, err error) *CallError {
	ce := t.describe(req)
	ce.Status, ce.Timeout, ce.Endpoint, ce.Err = status, t.timeout, t.endpoint, err
	ce.Attempts = int(tries.Load())
	return &ce
}

func jsonOrXML(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && (b[0] == '{' || b[0] == '[' || (b[0] == '<' && bytes.HasPrefix(b, []byte("<?xml"))))
}
