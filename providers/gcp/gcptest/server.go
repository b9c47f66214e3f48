// Package gcptest is an in-memory Compute Engine v1 and OS Config v1 server
// speaking their REST paths and JSON, for testing providers/gcp with the
// real google.golang.org/api clients. It pages every list (PageSize items
// a page), runs createSnapshot as a zone operation that finishes after a
// few polls, and moves patch jobs on one step per GET, so tests need no
// clocks or sleeps. Every request is counted per API method.
package gcptest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is the fake. Configure it (PageSize, OpPolls, JobPolls, AddInstance)
// before the first request; everything else is safe for concurrent use.
type Server struct {
	*httptest.Server
	// PageSize is how many items a list returns per page (default 2, so
	// small fleets already need several pages).
	PageSize int
	// OpPolls is how many zoneOperations.get calls a createSnapshot
	// operation takes to finish (default 2).
	OpPolls int
	// JobPolls is how many patchJobs.get calls a patch job takes to end
	// (default 3).
	JobPolls int
	// Now is the server's clock (default time.Now).
	Now func() time.Time
	// OnStep, when set, is called (with the server's lock held, before the
	// answer is written) each time a restore step is sent, with
	// "<instance>/<kind>": crash tests stop the caller right there.
	OnStep func(step string)
	// OnRequest, when set, is called (lock held) as each request arrives,
	// with its API method, once its body is read and before it is handled.
	OnRequest func(method string)
	// OpsRunAlone moves every unfinished disk or instance operation on by
	// one poll with each request the server gets, as Compute Engine
	// finishes an operation whether or not its caller lives to poll it.
	OpsRunAlone bool

	mu        sync.Mutex
	counts    map[string]int
	fail      map[string][]int // method → status codes to answer next
	disabled  map[string]bool  // projects (ID) whose OS Config API is off
	instances []*Instance
	ops       map[string]*operation // by project/zone/name
	snapshots map[string]*snapshot  // by project/name
	disks     map[string]*disk      // by project/zone/name (restore.go)
	sent      map[string]int        // restore steps by instance/kind
	jobs      []*patchJob
	executed  []json.RawMessage
	nextID    uint64

	assignments   map[string]*assignment // live, by project/zone/id (ospolicy.go)
	assignmentLog []*assignment          // every accepted create
}

// New starts a fake; it is closed when the test ends.
func New(t interface{ Cleanup(func()) }) *Server {
	s := &Server{PageSize: 2, OpPolls: 2, JobPolls: 3, Now: time.Now,
		counts: map[string]int{}, fail: map[string][]int{},
		ops: map[string]*operation{}, snapshots: map[string]*snapshot{}, nextID: 1000,
		assignments: map[string]*assignment{}}
	mux := http.NewServeMux()
	s.computeRoutes(mux)
	s.osconfigRoutes(mux)
	s.handle(mux, "oauth2.token", "POST /token", s.token)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// ComputeEndpoint and OSConfigEndpoint are the option.WithEndpoint values
// that point the clients here.
func (s *Server) ComputeEndpoint() string  { return s.URL + "/compute/v1/" }
func (s *Server) OSConfigEndpoint() string { return s.URL + "/" }

// Token is the access token the fake's OAuth 2.0 token endpoint
// (URL + "/token") issues to any service-account assertion; requests
// carrying it are counted as "authenticated".
const Token = "ya29.gcptest-token"

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("assertion") == "" {
		apiError(w, 400, "token request without a JWT assertion")
		return
	}
	writeJSON(w, map[string]any{"access_token": Token, "token_type": "Bearer", "expires_in": 3600})
}

// Count is how many requests the API method got. Methods: compute.
// instances.aggregatedList, .instances.list, .instances.get,
// .disks.createSnapshot, .zoneOperations.get, .snapshots.list,
// .snapshots.get, .instances.setLabels; osconfig.inventories.list,
// .patchJobs.execute, .patchJobs.list, .patchJobs.get,
// .patchJobs.instanceDetails.list, .osPolicyAssignments.create, .get,
// .delete, .osPolicyAssignmentReports.list;
// oauth2.token; and "authenticated", the requests that carried Token.
func (s *Server) Count(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[method]
}

// Counts is a copy of every method's request count.
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// Fail makes the next calls of method answer with the given HTTP status
// codes, one per call, before it works again.
func (s *Server) Fail(method string, codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[method] = append(s.fail[method], codes...)
}

// Executed are the bodies of every patchJobs.execute request, in order.
func (s *Server) Executed() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]json.RawMessage(nil), s.executed...)
}

// handle registers a route under an API method name; the handler runs
// with s.mu held, after the request was counted and any injected failure
// answered.
func (s *Server) handle(mux *http.ServeMux, method, pattern string, h func(w http.ResponseWriter, r *http.Request)) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		// The body is read before OnRequest, so a hook that stops the caller
		// (a crash test) stops it after Google has the whole request.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		defer s.mu.Unlock()
		s.counts[method]++
		if s.OnRequest != nil {
			s.OnRequest(method)
		}
		if r.Header.Get("Authorization") == "Bearer "+Token {
			s.counts["authenticated"]++
		}
		if strings.HasPrefix(method, "osconfig.") && s.osconfigDisabled(r.PathValue("project")) {
			serviceDisabled(w, r.PathValue("project"))
			return
		}
		if s.OpsRunAlone {
			s.runOps()
		}
		if q := s.fail[method]; len(q) > 0 {
			s.fail[method] = q[1:]
			apiError(w, q[0], "injected failure of "+method)
			return
		}
		h(w, r)
	})
}

func (s *Server) id() uint64 {
	s.nextID++
	return s.nextID
}

func (s *Server) now() time.Time { return s.Now().UTC() }

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(v)
}

// apiError answers in Google's JSON error format, which googleapi.Error
// parses for both APIs.
func apiError(w http.ResponseWriter, code int, msg string) {
	reason := map[int]string{400: "invalid", 403: "forbidden", 404: "notFound", 409: "alreadyExists", 412: "conditionNotMet", 429: "rateLimitExceeded"}[code]
	status := map[int]string{400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 409: "ALREADY_EXISTS", 412: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED"}[code]
	if status == "" {
		status = "UNAVAILABLE"
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": msg, "status": status,
		"errors": []map[string]string{{"domain": "global", "reason": reason, "message": msg}},
	}})
}

// page cuts items by the request's pageToken and PageSize (or a smaller
// maxResults / pageSize the client asked for).
func page[T any](s *Server, r *http.Request, items []T) ([]T, string) {
	off, _ := strconv.Atoi(r.URL.Query().Get("pageToken"))
	n := s.PageSize
	for _, k := range []string{"maxResults", "pageSize"} {
		if v, err := strconv.Atoi(r.URL.Query().Get(k)); err == nil && v > 0 && v < n {
			n = v
		}
	}
	if off > len(items) {
		off = len(items)
	}
	end := min(off+n, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[off:end], next
}

func selfLink(format string, args ...any) string {
	return "https://www.googleapis.com/compute/v1/" + fmt.Sprintf(format, args...)
}
