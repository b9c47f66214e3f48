// Package falcontest is a CrowdStrike Falcon API stand-in for tests outside
// providers/falcon: an httptest server speaking the documented OAuth2
// client-credentials token endpoint and the API shapes patchgate calls
// (devices-scroll query, device details v2, combined sensor-update kernels),
// with the API client's scopes enforced as Falcon does: a call outside them
// answers 403 with Falcon's error envelope.
package falcontest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
)

// API scopes as the Falcon console names them in an API client.
const (
	ScopeHostsRead                = "hosts:read"
	ScopeSensorUpdatePoliciesRead = "sensor-update-policies:read"
)

// Server is the fake Falcon API. ClientID and ClientSecret are the only
// credentials its token endpoint accepts.
type Server struct {
	URL          string
	ClientID     string
	ClientSecret string

	mu     sync.Mutex
	token  string
	scopes []string
	counts map[string]int
}

// New starts a fake on plain http (patchgate's base_url allows http on
// localhost) granting both scopes patchgate needs; it stops when the test
// ends.
func New(t testing.TB, clientID, clientSecret string) *Server {
	s := &Server{ClientID: clientID, ClientSecret: clientSecret, token: "falcontest-bearer-token",
		scopes: []string{ScopeHostsRead, ScopeSensorUpdatePoliciesRead}, counts: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", s.oauthToken)
	mux.HandleFunc("GET /devices/queries/devices-scroll/v1", s.api(ScopeHostsRead, s.scroll))
	mux.HandleFunc("POST /devices/entities/devices/v2", s.api(ScopeHostsRead, s.empty))
	mux.HandleFunc("GET /policy/combined/sensor-update-kernels/v1", s.api(ScopeSensorUpdatePoliciesRead, s.empty))
	srv := httptest.NewServer(mux)
	s.URL = srv.URL
	t.Cleanup(srv.Close)
	return s
}

// SetScopes replaces the API client's scopes.
func (s *Server) SetScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scopes = slices.Clone(scopes)
}

// Count is how many requests arrived on path.
func (s *Server) Count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[path]
}

func (s *Server) oauthToken(w http.ResponseWriter, r *http.Request) {
	s.count(r)
	id, secret, ok := r.BasicAuth()
	if !ok {
		_ = r.ParseForm()
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != s.ClientID || secret != s.ClientSecret {
		writeJSON(w, http.StatusUnauthorized, envelope([]any{map[string]any{"code": 401, "message": "access denied, invalid client"}}))
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"access_token": s.token, "token_type": "bearer", "expires_in": 1799})
}

// api checks the bearer token and the scope the endpoint needs.
func (s *Server) api(scope string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.count(r)
		s.mu.Lock()
		authed, allowed := r.Header.Get("Authorization") == "Bearer "+s.token, slices.Contains(s.scopes, scope)
		s.mu.Unlock()
		switch {
		case !authed:
			writeJSON(w, http.StatusUnauthorized, envelope([]any{map[string]any{"code": 401, "message": "access denied, invalid bearer token"}}))
		case !allowed:
			writeJSON(w, http.StatusForbidden, envelope([]any{map[string]any{"code": 403, "message": "access denied, authorization failed"}}))
		default:
			h(w, r)
		}
	}
}

func (s *Server) scroll(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"meta":      map[string]any{"query_time": 0.01, "trace_id": "t", "pagination": map[string]any{"offset": "", "limit": 1, "total": 0, "expires_at": 0}},
		"resources": []any{}, "errors": []any{},
	})
}

func (s *Server) empty(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, envelope([]any{}))
}

func (s *Server) count(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[r.URL.Path]++
}

// envelope is Falcon's response body: meta, resources and errors.
func envelope(errs []any) map[string]any {
	return map[string]any{"meta": map[string]any{"query_time": 0.01, "trace_id": "t"}, "resources": []any{}, "errors": errs}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
