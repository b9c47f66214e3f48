// Package pdtest is a fake PagerDuty Events API v2 for tests: an httptest
// server that validates events as PagerDuty documents them, answers with
// PagerDuty's reply shapes, keeps PagerDuty's incident-per-dedup-key model,
// counts every request, and can be told to rate limit or fail.
package pdtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Incident states, as PagerDuty reports them.
const (
	Triggered    = "triggered"
	Acknowledged = "acknowledged"
	Resolved     = "resolved"
)

// Request is one request the fake received and how it answered.
type Request struct {
	Path     string
	Action   string // event_action; "change" for a change event
	DedupKey string
	Status   int            // the HTTP status the fake answered with
	Body     map[string]any // the request body as JSON
	Header   http.Header
}

// Incident is PagerDuty's view of one dedup key.
type Incident struct {
	Status string
	// Opened counts triggers that opened an incident (none open before);
	// Deduplicated counts triggers that joined the open one.
	Opened, Deduplicated int
}

// Failure scripts an answer the fake gives instead of processing a request.
type Failure struct {
	Status     int    // e.g. 429, 500
	RetryAfter string // Retry-After header, "" for none
	// Applied makes the event take effect before the failure is answered,
	// as when a gateway loses PagerDuty's reply.
	Applied bool
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	*httptest.Server
	key string

	mu        sync.Mutex
	requests  []Request
	incidents map[string]*Incident
	script    []Failure // answered first, one per request
	down      *Failure  // answered to every request while set
}

// New starts a fake that accepts events for routingKey; it stops with t.
func New(t testing.TB, routingKey string) *Server {
	t.Helper()
	s := &Server{key: routingKey, incidents: map[string]*Incident{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// FailNext answers the next requests with the given failures, in order.
func (s *Server) FailNext(f ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, f...)
}

// Down answers every request with f until Up.
func (s *Server) Down(f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = &f
}

// Up ends Down.
func (s *Server) Up() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = nil
}

// Requests returns every request received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Count counts requests for action and dedup key ("" matches any key)
// answered with status (0 matches any status).
func (s *Server) Count(action, key string, status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Action == action && (key == "" || r.DedupKey == key) && (status == 0 || r.Status == status) {
			n++
		}
	}
	return n
}

// Accepted counts requests for action and key that PagerDuty accepted (202).
func (s *Server) Accepted(action, key string) int {
	return s.Count(action, key, http.StatusAccepted)
}

// Incident returns the incident of a dedup key.
func (s *Server) Incident(key string) (Incident, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inc, ok := s.incidents[key]
	if !ok {
		return Incident{}, false
	}
	return *inc, true
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var ev map[string]any
	jsonErr := json.Unmarshal(body, &ev)
	req := Request{Path: r.URL.Path, Body: ev, Header: r.Header.Clone()}
	req.Action, _ = ev["event_action"].(string)
	req.DedupKey, _ = ev["dedup_key"].(string)
	if r.URL.Path == "/v2/change/enqueue" {
		req.Action = "change"
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	answer := func(status int, reply map[string]any) {
		req.Status = status
		s.requests = append(s.requests, req)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(reply)
	}
	f := s.down
	if f == nil && len(s.script) > 0 {
		f, s.script = &s.script[0], s.script[1:]
	}
	if f != nil && f.Applied && s.invalid(r, ev, jsonErr) == nil && req.Action != "change" {
		s.apply(req.Action, req.DedupKey)
	}
	if f != nil {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		if f.Status == http.StatusTooManyRequests {
			answer(f.Status, map[string]any{"status": "throttle event", "message": "Requests for this service are arriving too quickly. Please retry later."})
			return
		}
		answer(f.Status, map[string]any{"status": "error", "message": http.StatusText(f.Status)})
		return
	}
	if r.Method != http.MethodPost || (r.URL.Path != "/v2/enqueue" && r.URL.Path != "/v2/change/enqueue") {
		answer(http.StatusNotFound, map[string]any{"status": "not found", "message": r.Method + " " + r.URL.Path})
		return
	}
	if errs := s.invalid(r, ev, jsonErr); len(errs) > 0 {
		answer(http.StatusBadRequest, map[string]any{"status": "invalid event", "message": "Event object is invalid", "errors": errs})
		return
	}
	if req.Action == "change" {
		answer(http.StatusAccepted, map[string]any{"status": "success", "message": "Change event processed"})
		return
	}
	s.apply(req.Action, req.DedupKey)
	answer(http.StatusAccepted, map[string]any{"status": "success", "message": "Event processed", "dedup_key": req.DedupKey})
}

// invalid checks an event the way the Events API documents it.
func (s *Server) invalid(r *http.Request, ev map[string]any, jsonErr error) []string {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return []string{"Content-Type must be application/json"}
	}
	if jsonErr != nil {
		return []string{"Malformed JSON: " + jsonErr.Error()}
	}
	var errs []string
	if ev["routing_key"] != s.key {
		errs = append(errs, "Invalid routing key")
	}
	payload, _ := ev["payload"].(map[string]any)
	str := func(m map[string]any, k string) string { v, _ := m[k].(string); return v }
	if r.URL.Path == "/v2/change/enqueue" {
		if payload == nil || str(payload, "summary") == "" {
			errs = append(errs, "'payload.summary' is missing or blank")
		}
		return errs
	}
	action, key := str(ev, "event_action"), str(ev, "dedup_key")
	switch action {
	case "trigger":
		if payload == nil {
			return append(errs, "'payload' is missing")
		}
		if l := len([]rune(str(payload, "summary"))); l == 0 || l > 1024 {
			errs = append(errs, fmt.Sprintf("'payload.summary' must be 1 to 1024 characters, got %d", l))
		}
		if str(payload, "source") == "" {
			errs = append(errs, "'payload.source' is missing or blank")
		}
		if !slices.Contains([]string{"critical", "error", "warning", "info"}, str(payload, "severity")) {
			errs = append(errs, "'payload.severity' must be one of critical, error, warning or info")
		}
	case "acknowledge", "resolve":
		if key == "" {
			errs = append(errs, "'dedup_key' is required for "+action)
		}
	default:
		errs = append(errs, fmt.Sprintf("'event_action' %q is invalid", action))
	}
	if len(key) > 255 {
		errs = append(errs, "'dedup_key' is longer than 255 characters")
	}
	return errs
}

// apply moves the incident of key as PagerDuty does: a trigger opens an
// incident unless one is open (then it is de-duplicated into it); an
// acknowledge or resolve of no open incident is accepted and does nothing.
func (s *Server) apply(action, key string) {
	inc := s.incidents[key]
	open := inc != nil && inc.Status != Resolved
	switch action {
	case "trigger":
		if inc == nil {
			inc = &Incident{}
			s.incidents[key] = inc
		}
		if open {
			inc.Deduplicated++
			return
		}
		inc.Status = Triggered
		inc.Opened++
	case "acknowledge":
		if open {
			inc.Status = Acknowledged
		}
	case "resolve":
		if open {
			inc.Status = Resolved
		}
	}
}
