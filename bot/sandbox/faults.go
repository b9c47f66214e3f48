package sandbox

import (
	"net/http"
	"strconv"
	"time"
)

// fault is one injected failure waiting for its method to be called.
type fault struct {
	status     int
	retryAfter time.Duration
}

// FailNext makes the next call of method (a Web API method name, or
// "upload" for the file upload URL) fail with status. With 429 the response
// carries Retry-After, in whole seconds rounded up, as Slack sends it and
// as slack-go turns it into *slack.RateLimitedError. Calls queue up: two
// FailNext calls fail the next two calls.
func (s *Server) FailNext(method string, status int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], fault{status: status, retryAfter: retryAfter})
}

// injectFault answers the call with the next queued fault, if any.
func (s *Server) injectFault(w http.ResponseWriter, method string) bool {
	s.mu.Lock()
	q := s.faults[method]
	if len(q) == 0 {
		s.mu.Unlock()
		return false
	}
	f := q[0]
	s.faults[method] = q[1:]
	s.mu.Unlock()

	if f.status == http.StatusTooManyRequests {
		secs := int64((f.retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		writeJSON(w, f.status, map[string]any{"ok": false, "error": "ratelimited"})
		return true
	}
	// Slack's 5xx pages are HTML; slack-go does not parse them.
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(f.status)
	_, _ = w.Write([]byte("<html><body>sandbox: injected failure</body></html>"))
	return true
}
