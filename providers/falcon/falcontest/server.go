// Package falcontest is a CrowdStrike Falcon API stand-in for tests outside
// providers/falcon: an httptest server speaking the documented OAuth2
// client-credentials token endpoint and the API shapes patchgate calls
// (devices-scroll query, device details v2 with host groups and policies,
// sensor-update policy entities v2, combined sensor-update kernels) as
// gofalcon's models (DeviceapiDeviceSwagger, SensorUpdatePolicyV2) define
// them,
// with the API client's scopes enforced as Falcon does: a call outside them
// answers 403 with Falcon's error envelope.
package falcontest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
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

	mu      sync.Mutex
	token   string
	scopes  []string
	counts  map[string]int
	devices []Device
	updates map[string]string // sensor-update policy ID → target version
	pv      *prevention       // prevention.go
}

// Device is one host's sensor as Falcon's device details show it.
type Device struct {
	ID, Hostname, InstanceID, AccountID string
	AgentVersion, KernelVersion         string
	RFM                                 bool
	LastSeen                            string // RFC 3339
	Groups                              []string
	Prevention, SensorUpdate            string // policy IDs
}

// AddDevice registers a device.
func (s *Server) AddDevice(d Device) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.devices = append(s.devices, d)
}

// SetUpdatePolicy makes a sensor-update policy exist, targeting version.
func (s *Server) SetUpdatePolicy(id, version string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.updates[id] = version
}

// New starts a fake on plain http (patchgate's base_url allows http on
// localhost) granting both scopes patchgate needs; it stops when the test
// ends.
func New(t testing.TB, clientID, clientSecret string) *Server {
	s := &Server{ClientID: clientID, ClientSecret: clientSecret, token: "falcontest-bearer-token",
		scopes: []string{ScopeHostsRead, ScopeSensorUpdatePoliciesRead}, counts: map[string]int{},
		updates: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", s.oauthToken)
	mux.HandleFunc("GET /devices/queries/devices-scroll/v1", s.api(ScopeHostsRead, s.scroll))
	mux.HandleFunc("POST /devices/entities/devices/v2", s.api(ScopeHostsRead, s.details))
	mux.HandleFunc("GET /policy/entities/sensor-update/v2", s.api(ScopeSensorUpdatePoliciesRead, s.updatePolicies))
	mux.HandleFunc("GET /policy/combined/sensor-update-kernels/v1", s.api(ScopeSensorUpdatePoliciesRead, s.empty))
	s.routePrevention(mux)
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

// fqlRE reads the filters patchgate sends: field:['a','b'].
var fqlRE = regexp.MustCompile(`^(\w+):\[(.*)\]$`)

// scroll answers the devices-scroll query for instance_id or hostname
// filters, in one page.
func (s *Server) scroll(w http.ResponseWriter, r *http.Request) {
	var ids []string
	if m := fqlRE.FindStringSubmatch(r.URL.Query().Get("filter")); m != nil {
		var vals []string
		for _, v := range strings.Split(m[2], ",") {
			vals = append(vals, strings.ToLower(strings.Trim(v, "'")))
		}
		s.mu.Lock()
		for _, d := range s.devices {
			v := map[string]string{"instance_id": d.InstanceID, "hostname": d.Hostname}[m[1]]
			if v != "" && slices.Contains(vals, strings.ToLower(v)) {
				ids = append(ids, d.ID)
			}
		}
		s.mu.Unlock()
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"meta":      map[string]any{"query_time": 0.01, "trace_id": "t", "pagination": map[string]any{"offset": "", "limit": 10000, "total": len(ids), "expires_at": 0}},
		"resources": append([]string{}, ids...), "errors": []any{},
	})
}

// details answers device details v2 (POST {"ids": […]}).
func (s *Server) details(w http.ResponseWriter, r *http.Request) {
	var body struct {
		IDs []string `json:"ids"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.IDs) == 0 || len(body.IDs) > 5000 {
		writeJSON(w, http.StatusBadRequest, envelope([]any{map[string]any{"code": 400, "message": "invalid ids"}}))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	res := []map[string]any{}
	for _, d := range s.devices {
		if !slices.Contains(body.IDs, d.ID) {
			continue
		}
		rfm := "no"
		if d.RFM {
			rfm = "yes"
		}
		res = append(res, map[string]any{
			"device_id": d.ID, "cid": "falcontest-cid", "hostname": d.Hostname, "agent_version": d.AgentVersion,
			"kernel_version": d.KernelVersion, "reduced_functionality_mode": rfm, "last_seen": d.LastSeen,
			"instance_id": d.InstanceID, "service_provider": "AWS_EC2_V2", "service_provider_account_id": d.AccountID,
			"platform_name": "Linux", "status": "normal", "groups": append([]string{}, d.Groups...),
			"device_policies": map[string]any{
				"prevention":    map[string]any{"policy_type": "prevention", "policy_id": d.Prevention, "applied": true},
				"sensor_update": map[string]any{"policy_type": "sensor-update", "policy_id": d.SensorUpdate, "applied": true},
			},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"meta": map[string]any{"query_time": 0.01, "trace_id": "t"}, "resources": res, "errors": []any{}})
}

// updatePolicies answers GET /policy/entities/sensor-update/v2?ids=…;
// an unknown ID makes it 404 with the known ones, as Falcon does.
func (s *Server) updatePolicies(w http.ResponseWriter, r *http.Request) {
	ids := r.URL.Query()["ids"]
	s.mu.Lock()
	defer s.mu.Unlock()
	res := []map[string]any{}
	for _, id := range ids {
		v, ok := s.updates[id]
		if !ok {
			continue
		}
		res = append(res, map[string]any{"id": id, "cid": "falcontest-cid", "name": "policy " + id, "description": "",
			"platform_name": "Linux", "enabled": true, "groups": []any{},
			"created_by": "admin", "created_timestamp": "2026-01-01T00:00:00Z", "modified_by": "admin", "modified_timestamp": "2026-11-01T00:00:00Z",
			"settings": map[string]any{"build": "19113|n-1|tagged|17", "sensor_version": v, "stage": "prod",
				"show_early_adopter_builds": false, "uninstall_protection": "ENABLED", "variants": []any{}}})
	}
	code := http.StatusOK
	if len(res) < len(ids) {
		code = http.StatusNotFound
	}
	writeJSON(w, code, map[string]any{"meta": map[string]any{"query_time": 0.01, "trace_id": "t"}, "resources": res, "errors": []any{}})
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
