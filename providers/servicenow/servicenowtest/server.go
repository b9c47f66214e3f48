// Package servicenowtest is a ServiceNow instance for tests and the demo:
// an http.Handler that speaks the Change Management REST API's documented
// shapes (ServiceNow docs, "Change Management API", australia release:
// POST /sn_chg_rest/change/normal and /emergency, GET /sn_chg_rest/change
// with sysparm_query, GET and PATCH /sn_chg_rest/change/{sys_id}; each
// field as {"value","display_value"}, errors as
// {"error":{"message","detail"},"status":"failure"}). It enforces what a
// change model does: a normal change reaches implement only once approved.
package servicenowtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// States of change_request (value → display value).
var states = map[string]string{"-5": "New", "-4": "Assess", "-3": "Authorize", "-2": "Scheduled",
	"-1": "Implement", "0": "Review", "3": "Closed", "4": "Canceled"}

// byName maps the state names a PATCH may send to their values.
var byName = map[string]string{"new": "-5", "assess": "-4", "authorize": "-3", "scheduled": "-2",
	"implement": "-1", "review": "0", "closed": "3", "canceled": "4"}

var approvals = map[string]string{"not requested": "Not Yet Requested", "requested": "Requested",
	"approved": "Approved", "rejected": "Rejected"}

// Server is a fake instance. Its zero value is not usable; call New.
type Server struct {
	mu      sync.Mutex
	records map[string]map[string]string // sys_id → field → value
	order   []string
	next    int
	// User and Password are the basic-auth credentials accepted.
	User, Password string
	// AutoApprove approves a change as soon as its approval is requested
	// (the demo's CAB).
	AutoApprove bool
	// ListResults answers a single record as a one-element list, as some
	// of the documentation's examples show.
	ListResults bool
	// Fail, when set, answers a request with its own response instead.
	Fail func(w http.ResponseWriter, r *http.Request) bool
	// Requests counts requests by "METHOD path-pattern".
	Requests map[string]int
}

// New returns an empty instance accepting user/password.
func New(user, password string) *Server {
	return &Server{records: map[string]map[string]string{}, User: user, Password: password, next: 30001, Requests: map[string]int{}}
}

const base = "/api/sn_chg_rest/v1/change"

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f := s.failer(); f != nil && f(w, r) {
		return
	}
	if s.servePage(w, r) {
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != s.User || p != s.Password {
		writeErr(w, http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, base)
	if !ok {
		writeErr(w, http.StatusBadRequest, "Requested URI does not represent any resource", r.URL.Path)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && rest == "":
		s.Requests["GET /change"]++
		s.list(w, r)
	case r.Method == http.MethodPost && (rest == "/normal" || rest == "/emergency"):
		s.Requests["POST /change/"+rest[1:]]++
		s.create(w, r, rest[1:])
	case r.Method == http.MethodGet && strings.Count(rest, "/") == 1:
		s.Requests["GET /change/{sys_id}"]++
		s.get(w, strings.TrimPrefix(rest, "/"))
	case r.Method == http.MethodPatch && strings.Count(rest, "/") == 1:
		s.Requests["PATCH /change/{sys_id}"]++
		s.patch(w, r, strings.TrimPrefix(rest, "/"))
	default:
		writeErr(w, http.StatusBadRequest, "Requested URI does not represent any resource", r.URL.Path)
	}
}

func (s *Server) failer() func(http.ResponseWriter, *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Fail
}

// SetFail installs (or, with nil, removes) a failure injector.
func (s *Server) SetFail(f func(w http.ResponseWriter, r *http.Request) bool) {
	s.mu.Lock()
	s.Fail = f
	s.mu.Unlock()
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, typ string) {
	fields := map[string]string{}
	for k, v := range r.URL.Query() {
		fields[k] = v[0]
	}
	if r.ContentLength != 0 {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			writeErr(w, http.StatusBadRequest, "Exception while reading request", err.Error())
			return
		}
		for k, v := range body {
			fields[k] = fmt.Sprint(v)
		}
	}
	id := newSysID()
	fields["sys_id"], fields["number"] = id, fmt.Sprintf("CHG%07d", s.next)
	fields["state"], fields["approval"], fields["type"] = "-5", "not requested", typ
	s.next++
	s.records[id] = fields
	s.order = append(s.order, id)
	s.write(w, []map[string]string{fields}, false)
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	want := map[string]string{}
	for _, term := range strings.Split(r.URL.Query().Get("sysparm_query"), "^") {
		if k, v, ok := strings.Cut(term, "="); ok && !strings.HasPrefix(k, "ORDERBY") {
			want[k] = v
		}
	}
	var out []map[string]string
	for _, id := range s.order {
		rec := s.records[id]
		match := true
		for k, v := range want {
			match = match && rec[k] == v
		}
		if match {
			out = append(out, rec)
		}
	}
	s.write(w, out, true)
}

func (s *Server) get(w http.ResponseWriter, id string) {
	rec, ok := s.records[id]
	if !ok {
		writeErr(w, http.StatusNotFound, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
		return
	}
	s.write(w, []map[string]string{rec}, false)
}

func (s *Server) patch(w http.ResponseWriter, r *http.Request, id string) {
	rec, ok := s.records[id]
	if !ok {
		writeErr(w, http.StatusNotFound, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeErr(w, http.StatusBadRequest, "Exception while reading request", err.Error())
		return
	}
	if st, ok := body["state"].(string); ok {
		v, known := byName[strings.ToLower(st)]
		if !known {
			v = st
		}
		if _, known := states[v]; !known {
			writeErr(w, http.StatusBadRequest, "Invalid state", st)
			return
		}
		if (v == "-1" || v == "0" || v == "3") && rec["approval"] != "approved" {
			writeErr(w, http.StatusBadRequest, "State transition not allowed",
				fmt.Sprintf("%s cannot move from %s to %s before it is approved", rec["number"], states[rec["state"]], states[v]))
			return
		}
		rec["state"] = v
		if (v == "-4" || v == "-3") && rec["approval"] == "not requested" {
			rec["approval"] = "requested"
			if s.AutoApprove {
				rec["approval"], rec["state"] = "approved", "-2"
			}
		}
	}
	for k, v := range body {
		if k == "state" {
			continue
		}
		if k == "work_notes" {
			rec["work_notes"] = strings.TrimSpace(rec["work_notes"] + "\n" + fmt.Sprint(v))
			continue
		}
		rec[k] = fmt.Sprint(v)
	}
	s.write(w, []map[string]string{rec}, false)
}

// Approve approves the change numbered number (the CAB's decision); a
// change awaiting it moves to Scheduled.
func (s *Server) Approve(number string) bool { return s.decide(number, "approved", "-2") }

// Reject rejects it.
func (s *Server) Reject(number string) bool { return s.decide(number, "rejected", "") }

func (s *Server) decide(number, approval, state string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rec := range s.records {
		if rec["number"] == number {
			rec["approval"] = approval
			if state != "" {
				rec["state"] = state
			}
			return true
		}
	}
	return false
}

// Records returns a copy of every change, in creation order.
func (s *Server) Records() []map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]string, 0, len(s.order))
	for _, id := range s.order {
		c := map[string]string{}
		for k, v := range s.records[id] {
			c[k] = v
		}
		out = append(out, c)
	}
	return out
}

// Count returns how many requests of key ("POST /change/normal") came.
func (s *Server) Count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Requests[key]
}

// StateName is the display value of a state value.
func StateName(v string) string { return states[v] }

func (s *Server) write(w http.ResponseWriter, recs []map[string]string, list bool) {
	shaped := make([]map[string]map[string]string, len(recs))
	for i, rec := range recs {
		m := map[string]map[string]string{}
		keys := make([]string, 0, len(rec))
		for k := range rec {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, dv := rec[k], rec[k]
			switch k {
			case "state":
				dv = states[v]
			case "approval":
				dv = approvals[v]
			}
			m[k] = map[string]string{"value": v, "display_value": dv}
		}
		shaped[i] = m
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	var result any = shaped
	if !list && !s.ListResults {
		result = shaped[0]
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"result": result})
}

func writeErr(w http.ResponseWriter, status int, msg, detail string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"message": msg, "detail": detail}, "status": "failure"})
}

func newSysID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
