package falcontest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scopes of the prevention rollout's calls, as the console names them.
const (
	ScopeMLExclusionsRead        = "ml-exclusions:read"
	ScopeIOAExclusionsRead       = "ioa-exclusions:read"
	ScopePreventionPoliciesRead  = "prevention-policies:read"
	ScopePreventionPoliciesWrite = "prevention-policies:write"
	ScopeHostGroupRead           = "host-group:read"
	ScopeAlertsRead              = "alerts:read"
)

// PreventionScopes are every scope the prevention rollout needs.
var PreventionScopes = []string{ScopeMLExclusionsRead, ScopeIOAExclusionsRead, ScopePreventionPoliciesRead,
	ScopePreventionPoliciesWrite, ScopeHostGroupRead, ScopeAlertsRead}

// MLExclusion and IOAExclusion are exclusions as the console keeps them;
// no Groups and Global false means applied to no host.
type MLExclusion struct {
	ID, Value string
	Groups    []string
	Global    bool
}

type IOAExclusion struct {
	ID, Name, IfnRegex, ClRegex string
	Groups                      []string
	Global                      bool
}

// Alert is one detection on a device.
type Alert struct {
	ID, DeviceID, Severity string // Severity as Falcon names it: Low, High, …
	Created                time.Time
}

// Fault is what a path answers for its next N requests instead of the
// real answer (hostile-peer tests).
type Fault struct {
	N       int
	Code    int
	Body    string
	Headers map[string]string
}

// prevention is the fake's prevention-rollout state.
type prevention struct {
	ml       []MLExclusion
	ioa      []IOAExclusion
	policies map[string][]string // prevention policy ID → host group IDs
	members  map[string][]string // host group ID → device IDs
	alerts   []Alert
	actions  []string // "add-host-group policy group", in order
	faults   map[string]*Fault
}

func (s *Server) routePrevention(mux *http.ServeMux) {
	s.pv = &prevention{policies: map[string][]string{}, members: map[string][]string{}, faults: map[string]*Fault{}}
	s.scopes = append(s.scopes, PreventionScopes...)
	route := func(pattern, scope string, h http.HandlerFunc) {
		mux.HandleFunc(pattern, s.faulty(s.api(scope, h)))
	}
	route("GET /policy/queries/ml-exclusions/v1", ScopeMLExclusionsRead, s.queryIDs(func() []string { return s.mlIDs() }))
	route("GET /policy/entities/ml-exclusions/v1", ScopeMLExclusionsRead, s.mlEntities)
	route("GET /policy/queries/ioa-exclusions/v1", ScopeIOAExclusionsRead, s.queryIDs(func() []string { return s.ioaIDs() }))
	route("GET /policy/entities/ioa-exclusions/v1", ScopeIOAExclusionsRead, s.ioaEntities)
	route("GET /policy/entities/prevention/v1", ScopePreventionPoliciesRead, s.preventionPolicies)
	route("POST /policy/entities/prevention-actions/v1", ScopePreventionPoliciesWrite, s.preventionAction)
	route("GET /devices/queries/host-group-members/v1", ScopeHostGroupRead, s.groupMembers)
	route("GET /alerts/queries/alerts/v2", ScopeAlertsRead, s.queryAlerts)
}

// AddMLExclusion, AddIOAExclusion, SetPolicy, SetGroup and AddAlert set
// what the console holds.
func (s *Server) AddMLExclusion(x MLExclusion) { s.locked(func() { s.pv.ml = append(s.pv.ml, x) }) }

func (s *Server) AddIOAExclusion(x IOAExclusion) { s.locked(func() { s.pv.ioa = append(s.pv.ioa, x) }) }

// SetPolicy makes prevention policy id exist with the given host groups.
func (s *Server) SetPolicy(id string, groups ...string) {
	s.locked(func() { s.pv.policies[id] = slices.Clone(groups) })
}

// SetGroup makes host group id hold the devices.
func (s *Server) SetGroup(id string, devices ...string) {
	s.locked(func() { s.pv.members[id] = slices.Clone(devices) })
}

func (s *Server) AddAlert(a Alert) { s.locked(func() { s.pv.alerts = append(s.pv.alerts, a) }) }

// PolicyGroups is the host groups of a prevention policy now.
func (s *Server) PolicyGroups(id string) []string {
	var out []string
	s.locked(func() { out = slices.Clone(s.pv.policies[id]) })
	return out
}

// Actions lists the policy actions performed, in order.
func (s *Server) Actions() []string {
	var out []string
	s.locked(func() { out = slices.Clone(s.pv.actions) })
	return out
}

// SetFault makes path answer f for its next f.N requests.
func (s *Server) SetFault(path string, f Fault) { s.locked(func() { s.pv.faults[path] = &f }) }

func (s *Server) locked(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

func (s *Server) faulty(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var f *Fault
		s.locked(func() {
			if x := s.pv.faults[r.URL.Path]; x != nil && x.N > 0 {
				x.N--
				c := *x
				f = &c
			}
		})
		if f == nil {
			h(w, r)
			return
		}
		s.count(r)
		for k, v := range f.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(f.Code)
		_, _ = w.Write([]byte(f.Body))
	}
}

func (s *Server) mlIDs() []string {
	var ids []string
	for _, x := range s.pv.ml {
		ids = append(ids, x.ID)
	}
	return ids
}

func (s *Server) ioaIDs() []string {
	var ids []string
	for _, x := range s.pv.ioa {
		ids = append(ids, x.ID)
	}
	return ids
}

// queryIDs answers an offset-paged ID query (limit ≤ 500).
func (s *Server) queryIDs(all func() []string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var ids []string
		s.locked(func() { ids = all() })
		writeIDs(w, r, ids, 500)
	}
}

func writeIDs(w http.ResponseWriter, r *http.Request, ids []string, maxLimit int) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	offset, _ := strconv.Atoi(q.Get("offset"))
	if limit <= 0 {
		limit = 100
	}
	if limit > maxLimit {
		writeJSON(w, http.StatusBadRequest, envelope([]any{map[string]any{"code": 400, "message": "limit must be between 1 and " + strconv.Itoa(maxLimit)}}))
		return
	}
	page := []string{}
	if offset < len(ids) {
		page = append(page, ids[offset:min(offset+limit, len(ids))]...)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"meta":      map[string]any{"query_time": 0.01, "trace_id": "t", "pagination": map[string]any{"offset": offset, "limit": limit, "total": len(ids)}},
		"resources": page, "errors": []any{},
	})
}

func audit() map[string]any {
	return map[string]any{"created_by": "admin", "created_on": "2026-01-01T00:00:00Z", "modified_by": "admin", "last_modified": "2026-11-01T00:00:00Z"}
}

func with(m map[string]any, extra map[string]any) map[string]any {
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func (s *Server) mlEntities(w http.ResponseWriter, r *http.Request) {
	ids := r.URL.Query()["ids"]
	res := []map[string]any{}
	s.locked(func() {
		for _, x := range s.pv.ml {
			if slices.Contains(ids, x.ID) {
				res = append(res, with(audit(), map[string]any{"id": x.ID, "value": x.Value, "regexp_value": globRegexp(x.Value),
					"value_hash": "h" + x.ID, "groups": append([]string{}, x.Groups...), "applied_globally": x.Global,
					"excluded_from": []string{"blocking"}}))
			}
		}
	})
	writeEntities(w, ids, res)
}

func (s *Server) ioaEntities(w http.ResponseWriter, r *http.Request) {
	ids := r.URL.Query()["ids"]
	res := []map[string]any{}
	s.locked(func() {
		for _, x := range s.pv.ioa {
			if !slices.Contains(ids, x.ID) {
				continue
			}
			groups := []map[string]any{}
			for _, g := range x.Groups {
				groups = append(groups, hostGroup(g))
			}
			res = append(res, with(audit(), map[string]any{"id": x.ID, "name": x.Name, "description": "", "pattern_id": "41",
				"pattern_name": "Suspicious process", "ifn_regex": x.IfnRegex, "cl_regex": x.ClRegex, "detection_json": "",
				"groups": groups, "applied_globally": x.Global}))
		}
	})
	writeEntities(w, ids, res)
}

func hostGroup(id string) map[string]any {
	return map[string]any{"id": id, "name": "group " + id, "description": "", "group_type": "static",
		"created_by": "admin", "created_timestamp": "2026-01-01T00:00:00Z", "modified_by": "admin", "modified_timestamp": "2026-11-01T00:00:00Z"}
}

// writeEntities answers an entities read; an unknown ID makes it 404 with
// the known ones, as Falcon does.
func writeEntities(w http.ResponseWriter, ids []string, res []map[string]any) {
	code := http.StatusOK
	if len(res) < len(ids) {
		code = http.StatusNotFound
	}
	writeJSON(w, code, map[string]any{"meta": map[string]any{"query_time": 0.01, "trace_id": "t"}, "resources": res, "errors": []any{}})
}

func (s *Server) policyEntity(id string) map[string]any {
	groups := []map[string]any{}
	for _, g := range s.pv.policies[id] {
		groups = append(groups, hostGroup(g))
	}
	return map[string]any{"id": id, "cid": "falcontest-cid", "name": "policy " + id, "description": "", "platform_name": "Linux",
		"enabled": true, "groups": groups, "prevention_settings": []any{}, "ioa_rule_groups": []any{},
		"created_by": "admin", "created_timestamp": "2026-01-01T00:00:00Z", "modified_by": "admin", "modified_timestamp": "2026-11-01T00:00:00Z"}
}

func (s *Server) preventionPolicies(w http.ResponseWriter, r *http.Request) {
	ids := r.URL.Query()["ids"]
	res := []map[string]any{}
	s.locked(func() {
		for _, id := range ids {
			if _, ok := s.pv.policies[id]; ok {
				res = append(res, s.policyEntity(id))
			}
		}
	})
	writeEntities(w, ids, res)
}

// preventionAction performs add-host-group / remove-host-group
// (POST ?action_name=…, body {"ids": [policy], "action_parameters":
// [{"name": "group_id", "value": group}]}).
func (s *Server) preventionAction(w http.ResponseWriter, r *http.Request) {
	action := r.URL.Query().Get("action_name")
	var body struct {
		IDs    []string `json:"ids"`
		Params []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"action_parameters"`
	}
	bad := func(msg string) {
		writeJSON(w, http.StatusBadRequest, envelope([]any{map[string]any{"code": 400, "message": msg}}))
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.IDs) != 1 || len(body.Params) != 1 || body.Params[0].Name != "group_id" {
		bad("body needs one policy id and a group_id action parameter")
		return
	}
	policy, group := body.IDs[0], body.Params[0].Value
	s.mu.Lock()
	defer s.mu.Unlock()
	groups, ok := s.pv.policies[policy]
	if !ok {
		writeJSON(w, http.StatusNotFound, envelope([]any{map[string]any{"code": 404, "message": "policy not found"}}))
		return
	}
	switch action {
	case "add-host-group":
		if !slices.Contains(groups, group) {
			groups = append(groups, group)
		}
	case "remove-host-group":
		groups = slices.DeleteFunc(groups, func(g string) bool { return g == group })
	default:
		bad("unsupported action_name " + action)
		return
	}
	s.pv.policies[policy] = groups
	s.pv.actions = append(s.pv.actions, action+" "+policy+" "+group)
	writeJSON(w, http.StatusOK, map[string]any{"meta": map[string]any{"query_time": 0.01, "trace_id": "t"},
		"resources": []any{s.policyEntity(policy)}, "errors": []any{}})
}

func (s *Server) groupMembers(w http.ResponseWriter, r *http.Request) {
	var ids []string
	s.locked(func() { ids = slices.Clone(s.pv.members[r.URL.Query().Get("id")]) })
	writeIDs(w, r, ids, 5000)
}

// alertFilterRE reads the count filter patchgate sends:
// device.device_id:['a','b']+created_timestamp:>='T'+severity_name:'High'.
var alertFilterRE = regexp.MustCompile(`^device\.device_id:\[(.*)\]\+created_timestamp:>='([^']+)'\+severity_name:'(\w+)'$`)

func (s *Server) queryAlerts(w http.ResponseWriter, r *http.Request) {
	m := alertFilterRE.FindStringSubmatch(r.URL.Query().Get("filter"))
	since, err := time.Time{}, error(nil)
	if m != nil {
		since, err = time.Parse(time.RFC3339, m[2])
	}
	if m == nil || err != nil {
		writeJSON(w, http.StatusBadRequest, envelope([]any{map[string]any{"code": 400, "message": "invalid filter"}}))
		return
	}
	var devices []string
	for _, v := range strings.Split(m[1], ",") {
		devices = append(devices, strings.Trim(v, "'"))
	}
	ids := []string{}
	s.locked(func() {
		for _, a := range s.pv.alerts {
			if slices.Contains(devices, a.DeviceID) && !a.Created.Before(since) && a.Severity == m[3] {
				ids = append(ids, a.ID)
			}
		}
	})
	writeIDs(w, r, ids, 10000)
}

func globRegexp(glob string) string {
	return "^" + strings.ReplaceAll(regexp.QuoteMeta(glob), `\*`, ".*") + "$"
}
