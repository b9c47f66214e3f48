// Package azuretest is an Azure Resource Manager stand-in for tests: an
// httptest server that speaks the REST paths, api-version query, JSON bodies
// and long-running-operation headers (202 + Azure-AsyncOperation / Location)
// of Microsoft.Compute virtual machines and snapshots and of
// Microsoft.HybridCompute (Arc) machines, so the real armcompute and
// armhybridcompute clients run against it unchanged. It counts requests per
// method and path so a test can prove what was (not) sent.
package azuretest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Token is the bearer token the server accepts; FakeCredential hands it out.
const Token = "azuretest-token"

// Server is the fake ARM endpoint. Its fields are guarded by mu; tests change
// machines through the methods, never by writing fields while it serves.
type Server struct {
	URL string
	srv *httptest.Server
	// OnStep, when set, is called (with the server's lock held, before the
	// answer is written) each time a restore step is sent, with
	// "<vm>/<kind>": crash tests stop the caller right there.
	OnStep func(step string)
	// OnRequest, when set, is called (lock held) as each request arrives,
	// with "METHOD /path", before it is handled.
	OnRequest func(call string)
	// OpsRunAlone moves every unfinished long-running operation on by one
	// poll with each request the server gets, as Azure finishes an
	// operation whether or not its caller lives to poll it.
	OpsRunAlone bool
	// OnRunCommandDone, when set, is called (lock held) when a VM's run
	// command ends, with the VM's ID and the execution state.
	OnRunCommandDone func(vm, state string)

	mu        sync.Mutex
	vms       map[string]*VM  // by lower-case resource ID
	arcs      map[string]*Arc // by lower-case resource ID
	snapshots map[string]*Snapshot
	disks     map[string]*Disk // restores (restore.go)
	sent      map[string]int   // restore steps by vm/kind
	ops       map[string]*op
	nextOp    int
	counts    map[string]int         // "METHOD /lower/path"
	times     map[string][]time.Time // arrival times, same keys
	throttles []*throttle
	forbidden map[string]bool              // lower-case subscription IDs answering 403
	installs  map[string][]map[string]any  // installPatches bodies by lower-case machine ID
	runCmds   map[string]*RunCommand       // by "lower-case VM ID|name" (runcommands.go)
	runFails  map[string]runCommandFailure // by lower-case VM ID
	arcExts   map[string]*Extension        // by "lower-case machine ID|lower-case name" (extensions.go)
	extFails  map[string]string            // extension failure messages by lower-case machine ID
	// PageSize splits list responses into pages joined by nextLink.
	pageSize int
}

type throttle struct {
	method, suffix string
	left           int
	retryAfter     string
}

// New starts a server that stops when the test ends.
func New(t testing.TB) *Server {
	s := &Server{
		vms: map[string]*VM{}, arcs: map[string]*Arc{}, snapshots: map[string]*Snapshot{},
		ops: map[string]*op{}, installs: map[string][]map[string]any{}, counts: map[string]int{}, times: map[string][]time.Time{}, pageSize: 2,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Throttle answers the next n requests whose method matches and whose path
// ends with suffix with 429 Too Many Requests and the given Retry-After, as
// ARM does when a subscription's read or write budget is spent.
func (s *Server) Throttle(method, suffix string, n int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttles = append(s.throttles, &throttle{method, strings.ToLower(suffix), n, retryAfter})
}

// Count is how many requests (throttled ones included) arrived with method
// on exactly path.
func (s *Server) Count(method, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[method+" "+strings.ToLower(path)]
}

// CountSuffix is how many requests arrived with method on any path ending
// with suffix (e.g. "/installPatches").
func (s *Server) CountSuffix(method, suffix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, c := range s.counts {
		if strings.HasPrefix(k, method+" ") && strings.HasSuffix(k, strings.ToLower(suffix)) {
			n += c
		}
	}
	return n
}

// Installs returns the installPatches request bodies machine id received.
func (s *Server) Installs(id string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.installs[strings.ToLower(id)]...)
}

// Times are the arrival times of the requests on method and path.
func (s *Server) Times(method, path string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.times[method+" "+strings.ToLower(path)]...)
}

// Requests lists every method and path seen with its count, for failure
// messages.
func (s *Server) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.ToLower(r.URL.Path)
	key := r.Method + " " + path
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[key]++
	s.times[key] = append(s.times[key], time.Now())
	if s.OnRequest != nil {
		s.OnRequest(key)
	}
	if s.OpsRunAlone {
		s.runOps()
	}
	if path == identityPath {
		s.identityToken(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+Token {
		armError(w, http.StatusUnauthorized, "AuthenticationFailed", "missing or wrong bearer token")
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		armError(w, http.StatusBadRequest, "MissingApiVersionParameter", "the api-version query parameter is required")
		return
	}
	for _, t := range s.throttles {
		if t.left > 0 && t.method == r.Method && strings.HasSuffix(path, t.suffix) {
			t.left--
			w.Header().Set("Retry-After", t.retryAfter)
			armError(w, http.StatusTooManyRequests, "TooManyRequests", "the request was throttled")
			return
		}
	}
	seg := strings.Split(strings.Trim(path, "/"), "/")
	if len(seg) >= 2 && seg[0] == "subscriptions" && s.forbidden[seg[1]] {
		armError(w, http.StatusForbidden, "AuthorizationFailed", fmt.Sprintf(
			"The client '00000000-0000-0000-0000-000000000001' with object id '00000000-0000-0000-0000-000000000001' does not have authorization to perform action 'Microsoft.Compute/virtualMachines/read' over scope '/subscriptions/%s' or the scope is invalid.", seg[1]))
		return
	}
	s.route(w, r, seg)
}

// Forbid makes every request on subscription answer 403
// AuthorizationFailed, as ARM does when the identity has no role there.
func (s *Server) Forbid(subscription string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.forbidden == nil {
		s.forbidden = map[string]bool{}
	}
	s.forbidden[strings.ToLower(subscription)] = true
}

// route dispatches on the lower-cased path segments.
func (s *Server) route(w http.ResponseWriter, r *http.Request, seg []string) {
	if len(seg) < 4 || seg[0] != "subscriptions" {
		armError(w, http.StatusNotFound, "InvalidResourceType", "unknown path "+r.URL.Path)
		return
	}
	sub := seg[1]
	switch {
	case len(seg) >= 4 && seg[2] == "providers": // subscription scope
		s.subscriptionScope(w, r, sub, seg[3:])
	case len(seg) >= 6 && seg[2] == "resourcegroups" && seg[4] == "providers":
		s.groupScope(w, r, sub, seg[3], seg[5:])
	default:
		armError(w, http.StatusNotFound, "InvalidResourceType", "unknown path "+r.URL.Path)
	}
}

func (s *Server) subscriptionScope(w http.ResponseWriter, r *http.Request, sub string, seg []string) {
	switch {
	case len(seg) == 2 && seg[0] == "microsoft.compute" && seg[1] == "virtualmachines" && r.Method == http.MethodGet:
		s.listVMs(w, r, sub, "")
	case len(seg) == 2 && seg[0] == "microsoft.hybridcompute" && seg[1] == "machines" && r.Method == http.MethodGet:
		s.listArcs(w, r, sub, "")
	case len(seg) == 5 && seg[1] == "locations" && (seg[3] == "operations" || seg[3] == "operationresults") && r.Method == http.MethodGet:
		s.pollOp(w, r, seg[4])
	default:
		armError(w, http.StatusNotFound, "InvalidResourceType", "unknown path "+r.URL.Path)
	}
}

func (s *Server) groupScope(w http.ResponseWriter, r *http.Request, sub, rg string, seg []string) {
	if len(seg) < 2 {
		armError(w, http.StatusNotFound, "InvalidResourceType", "unknown path "+r.URL.Path)
		return
	}
	switch seg[0] + "/" + seg[1] {
	case "microsoft.compute/virtualmachines":
		s.vmRoute(w, r, sub, rg, seg[2:])
	case "microsoft.compute/snapshots":
		s.snapshotRoute(w, r, sub, rg, seg[2:])
	case "microsoft.compute/disks":
		s.diskRoute(w, r, sub, rg, seg[2:])
	case "microsoft.hybridcompute/machines":
		s.arcRoute(w, r, sub, rg, seg[2:])
	default:
		armError(w, http.StatusNotFound, "InvalidResourceType", "unknown path "+r.URL.Path)
	}
}

// armError writes ARM's error envelope.
func armError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func decodeBody(r *http.Request, v any) error {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		return fmt.Errorf("decode request body: %w", err)
	}
	return nil
}

// page serves items in pages of s.pageSize with a nextLink carrying the
// offset, as ARM's list operations do.
func (s *Server) page(w http.ResponseWriter, r *http.Request, items []any) {
	start := 0
	fmt.Sscan(r.URL.Query().Get("$skiptoken"), &start)
	end := min(start+s.pageSize, len(items))
	if start > len(items) {
		start = len(items)
	}
	body := map[string]any{"value": items[start:end]}
	if end < len(items) {
		q := r.URL.Query()
		q.Set("$skiptoken", fmt.Sprint(end))
		body["nextLink"] = s.URL + r.URL.Path + "?" + q.Encode()
	}
	writeJSON(w, http.StatusOK, body)
}
