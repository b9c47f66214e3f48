// Package dynatracetest is a fake Dynatrace environment for tests: an
// httptest server speaking the documented Problems API v2 wire format
// (GET /api/v2/problems with problemSelector, entitySelector, pageSize and
// nextPageKey; Api-Token authentication; the {"error":{…}} error body),
// whose problems and faults the test controls.
package dynatracetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// EntityID is the API's EntityId.
type EntityID struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// Entity is the API's EntityStub.
type Entity struct {
	EntityID EntityID `json:"entityId"`
	Name     string   `json:"name"`
}

// Problem is the API's Problem as listed by GET /api/v2/problems.
type Problem struct {
	ProblemID        string   `json:"problemId"`
	DisplayID        string   `json:"displayId"`
	Title            string   `json:"title"`
	ImpactLevel      string   `json:"impactLevel"`
	SeverityLevel    string   `json:"severityLevel"`
	Status           string   `json:"status"`
	StartTime        int64    `json:"startTime"`
	EndTime          int64    `json:"endTime"`
	AffectedEntities []Entity `json:"affectedEntities"`
	ImpactedEntities []Entity `json:"impactedEntities"`
	RootCauseEntity  *Entity  `json:"rootCauseEntity"`
	ManagementZones  []any    `json:"managementZones"`
	EntityTags       []any    `json:"entityTags"`
	ProblemFilters   []any    `json:"problemFilters"`
}

// OpenProblem builds an open infrastructure problem on one host, as
// Dynatrace reports e.g. CPU saturation.
func OpenProblem(n int, title, host string) Problem {
	e := Entity{EntityID: EntityID{ID: fmt.Sprintf("HOST-%016X", n), Type: "HOST"}, Name: host}
	return Problem{
		ProblemID: fmt.Sprintf("-%d_1700000000000V2", 4000000000000000000+n), DisplayID: fmt.Sprintf("P-24%05d", n),
		Title: title, ImpactLevel: "INFRASTRUCTURE", SeverityLevel: "RESOURCE_CONTENTION", Status: "OPEN",
		StartTime: time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC).UnixMilli(), EndTime: -1,
		AffectedEntities: []Entity{e}, ImpactedEntities: []Entity{e}, RootCauseEntity: &e,
		ManagementZones: []any{}, EntityTags: []any{}, ProblemFilters: []any{},
	}
}

// Request is one request the server received.
type Request struct {
	Method        string
	Path          string
	Query         url.Values
	RawQuery      string
	Authorization string
}

// Fault is a canned answer served instead of the next request's real one.
type Fault struct {
	Status int
	Header map[string]string
	Body   string
	// Hang holds the request until the client gives up.
	Hang bool
}

// Server is the fake environment. Problems are kept per entity selector,
// matched exactly as the client sends it.
type Server struct {
	URL   string
	token string
	// Scopes are the token's scopes as POST /api/v2/apiTokens/lookup
	// reports them (default problems.read).
	Scopes []string

	mu       sync.Mutex
	problems map[string][]Problem
	cursors  map[string]cursor
	faults   []Fault
	reqs     []Request
	nextKey  int
}

type cursor struct {
	problems []Problem
	offset   int
	size     int
}

// New starts a fake environment accepting token, stopped by t.Cleanup.
func New(t testing.TB, token string) *Server {
	t.Helper()
	s := &Server{token: token, Scopes: []string{"problems.read"}, problems: map[string][]Problem{}, cursors: map[string]cursor{}}
	hs := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// SetProblems replaces the problems touching the entities entitySelector
// names; none closes them all.
func (s *Server) SetProblems(entitySelector string, ps ...Problem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.problems[entitySelector] = append([]Problem(nil), ps...)
}

// CloseProblems marks every problem of entitySelector closed, as Dynatrace
// does when the condition ends (they stay listed, with status CLOSED and an
// end time, to a query without status("open")).
func (s *Server) CloseProblems(entitySelector string, end time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.problems[entitySelector] {
		s.problems[entitySelector][i].Status = "CLOSED"
		s.problems[entitySelector][i].EndTime = end.UnixMilli()
	}
}

// Fail queues faults served, in order, to the next requests.
func (s *Server) Fail(fs ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fs...)
}

// Requests returns every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(),
		RawQuery: r.URL.RawQuery, Authorization: r.Header.Get("Authorization")})
	var fault *Fault
	if len(s.faults) > 0 {
		fault = &s.faults[0]
		s.faults = s.faults[1:]
	}
	s.mu.Unlock()
	if fault != nil {
		if fault.Hang {
			<-r.Context().Done()
			return
		}
		for k, v := range fault.Header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(fault.Status)
		_, _ = w.Write([]byte(fault.Body))
		return
	}
	switch {
	case r.URL.Path == "/api/v2/apiTokens/lookup" && r.Method == http.MethodPost:
		s.lookup(w, r)
	case r.URL.Path != "/api/v2/problems":
		apiError(w, http.StatusNotFound, "Not found: "+r.URL.Path)
	case r.Method != http.MethodGet:
		apiError(w, http.StatusMethodNotAllowed, "Method not allowed")
	case r.Header.Get("Authorization") == "":
		apiError(w, http.StatusUnauthorized, "Missing authorization parameter.")
	case r.Header.Get("Authorization") != "Api-Token "+s.token:
		apiError(w, http.StatusUnauthorized, "Token Authentication failed")
	default:
		s.list(w, r.URL.Query())
	}
}

// list answers GET /api/v2/problems.
func (s *Server) list(w http.ResponseWriter, q url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var c cursor
	if key := q.Get("nextPageKey"); key != "" {
		for p := range q {
			if p != "nextPageKey" && p != "fields" {
				apiError(w, http.StatusBadRequest, "Constraints violated.", p+": must not be set together with nextPageKey")
				return
			}
		}
		var ok bool
		if c, ok = s.cursors[key]; !ok {
			apiError(w, http.StatusBadRequest, "Constraints violated.", "nextPageKey: invalid or expired")
			return
		}
		delete(s.cursors, key)
	} else {
		c.size = 50
		if v := q.Get("pageSize"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 500 {
				apiError(w, http.StatusBadRequest, "Constraints violated.", "pageSize: must be between 1 and 500")
				return
			}
			c.size = n
		}
		open := strings.Contains(strings.ToLower(q.Get("problemSelector")), `status("open")`)
		for _, p := range s.problems[q.Get("entitySelector")] {
			if !open || p.Status == "OPEN" {
				c.problems = append(c.problems, p)
			}
		}
	}
	end := min(c.offset+c.size, len(c.problems))
	page := map[string]any{"totalCount": len(c.problems), "pageSize": c.size,
		"problems": append([]Problem{}, c.problems[c.offset:end]...), "warnings": []string{}}
	if end < len(c.problems) {
		s.nextKey++
		key := fmt.Sprintf("___%08d_%d", s.nextKey, end)
		s.cursors[key] = cursor{problems: c.problems, offset: end, size: c.size}
		page["nextPageKey"] = key
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	_ = json.NewEncoder(w).Encode(page)
}

// apiError writes the documented error body.
func apiError(w http.ResponseWriter, status int, msg string, violations ...string) {
	type violation struct {
		Path    string `json:"path"`
		Message string `json:"message"`
	}
	body := map[string]any{"code": status, "message": msg}
	if len(violations) > 0 {
		var vs []violation
		for _, v := range violations {
			path, m, _ := strings.Cut(v, ": ")
			vs = append(vs, violation{Path: path, Message: m})
		}
		body["constraintViolations"] = vs
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": body})
}

// lookup answers POST /api/v2/apiTokens/lookup: any valid token may ask
// (Dynatrace: "an access token with any scope"), the body names the token
// looked up, and the answer is its ApiToken metadata.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Api-Token "+s.token {
		apiError(w, http.StatusUnauthorized, "Token Authentication failed")
		return
	}
	var in struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Token == "" {
		apiError(w, http.StatusBadRequest, "Constraints violated.")
		return
	}
	if in.Token != s.token {
		apiError(w, http.StatusNotFound, "Token not found")
		return
	}
	s.mu.Lock()
	scopes := append([]string{}, s.Scopes...)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "dt0c01.ST2EY72KQINMH574WMNVI7YN", "name": "patchgate", "enabled": true, "personalAccessToken": false,
		"owner": "sre@example.com", "creationDate": "2026-11-01T02:00:00.000Z", "scopes": scopes,
	})
}
