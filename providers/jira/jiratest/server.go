// Package jiratest is a Jira Service Management site for tests: an
// http.Handler speaking the documented shapes of the Jira Cloud REST API v3
// (developer.atlassian.com, "The Jira Cloud platform REST API": POST
// /rest/api/3/issue → 201 {"id","key","self"}; GET /rest/api/3/search/jql →
// {"issues":[…],"isLast"}; GET /rest/api/3/issue/{key} with
// fields.status.{name,statusCategory.key}; GET …/transitions →
// {"transitions":[{"id","name","to":{"name",…}}]}; POST …/transitions
// {"transition":{"id"}} → 204; POST …/comment → 201; rich text as
// Atlassian Document Format; errors as {"errorMessages":[…],"errors":{…}})
// and of the Service Management API (GET
// /rest/servicedeskapi/request/{key}/approval → {"values":[{"finalDecision"}]}).
// Its change workflow: Open → Authorize (approval asked) → Implementing
// (only once approved) → Review → Closed, and Cancel from any open status.
package jiratest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
)

type transition struct{ id, name, to string }

// workflow lists each status's transitions.
var workflow = map[string][]transition{
	"Open":         {{"11", "Request approval", "Authorize"}, {"91", "Cancel", "Canceled"}},
	"Authorize":    {{"21", "Implement", "Implementing"}, {"91", "Cancel", "Canceled"}},
	"Implementing": {{"31", "Review", "Review"}, {"41", "Close", "Closed"}},
	"Review":       {{"41", "Close", "Closed"}},
}

func category(status string) string {
	switch status {
	case "Closed", "Canceled":
		return "done"
	case "Open":
		return "new"
	}
	return "indeterminate"
}

// Issue is an issue as the fake keeps it.
type Issue struct {
	Key      string
	Fields   map[string]any
	Status   string
	Approval string // "" (none asked), pending, approved, declined
	Comments []string
}

// Server is a fake site. Create one with New.
type Server struct {
	mu     sync.Mutex
	issues []*Issue
	next   int
	// Email and Token are the basic-auth credentials accepted.
	Email, Token string
	// Project is the one project's key (GET /rest/api/3/project/{key}).
	Project string
	// Fail, when set, answers a request with its own response instead.
	Fail func(w http.ResponseWriter, r *http.Request) bool
	// Requests counts requests by "METHOD pattern".
	Requests map[string]int
}

// New returns an empty site accepting email/token.
func New(email, token string) *Server {
	return &Server{Email: email, Token: token, Project: "CHG", next: 1, Requests: map[string]int{}}
}

var (
	issuePath = regexp.MustCompile(`^/rest/api/3/issue/([A-Z]+-\d+)(/transitions|/comment)?$`)
	approval  = regexp.MustCompile(`^/rest/servicedeskapi/request/([A-Z]+-\d+)/approval$`)
	labelTerm = regexp.MustCompile(`labels = "([^"]+)"`)
)

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	fail := s.Fail
	s.mu.Unlock()
	if fail != nil && fail(w, r) {
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != s.Email || p != s.Token {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch m := issuePath.FindStringSubmatch(r.URL.Path); {
	case r.Method == http.MethodPost && r.URL.Path == "/rest/api/3/issue":
		s.count("POST /issue")
		s.create(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/rest/api/3/project/"+s.Project:
		s.count("GET /project/{key}")
		writeJSON(w, http.StatusOK, map[string]any{"id": "10000", "key": s.Project, "name": "Change management", "projectTypeKey": "service_desk"})
	case r.Method == http.MethodGet && r.URL.Path == "/rest/api/3/search/jql":
		s.count("GET /search/jql")
		s.search(w, r)
	case m != nil:
		is := s.issue(m[1])
		if is == nil {
			writeErr(w, http.StatusNotFound, "Issue does not exist or you do not have permission to see it.")
			return
		}
		switch {
		case m[2] == "" && r.Method == http.MethodGet:
			s.count("GET /issue/{key}")
			writeJSON(w, http.StatusOK, s.shape(is))
		case m[2] == "/transitions" && r.Method == http.MethodGet:
			s.count("GET /issue/{key}/transitions")
			s.transitions(w, is)
		case m[2] == "/transitions" && r.Method == http.MethodPost:
			s.count("POST /issue/{key}/transitions")
			s.transition(w, r, is)
		case m[2] == "/comment" && r.Method == http.MethodPost:
			s.count("POST /issue/{key}/comment")
			s.comment(w, r, is)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	case r.Method == http.MethodGet && approval.MatchString(r.URL.Path):
		s.count("GET /servicedeskapi/request/{key}/approval")
		is := s.issue(approval.FindStringSubmatch(r.URL.Path)[1])
		if is == nil {
			writeErr(w, http.StatusNotFound, "The request does not exist.")
			return
		}
		var values []any
		if is.Approval != "" {
			values = append(values, map[string]any{"id": "1", "name": "Change approval", "finalDecision": is.Approval,
				"canAnswerApproval": false, "approvers": []any{}})
		}
		writeJSON(w, http.StatusOK, map[string]any{"size": len(values), "start": 0, "limit": 50, "isLastPage": true, "values": values})
	default:
		writeErr(w, http.StatusNotFound, "No resource at "+r.URL.Path)
	}
}

func (s *Server) count(k string) { s.Requests[k]++ }

func (s *Server) issue(key string) *Issue {
	for _, is := range s.issues {
		if is.Key == key {
			return is
		}
	}
	return nil
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Fields map[string]any `json:"fields"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeErr(w, http.StatusBadRequest, "Unexpected character in the request: "+err.Error())
		return
	}
	project, _ := body.Fields["project"].(map[string]any)
	errs := map[string]string{}
	if key, _ := project["key"].(string); key == "" {
		errs["project"] = "Specify a valid project ID or key"
	}
	if s, _ := body.Fields["summary"].(string); s == "" {
		errs["summary"] = "You must specify a summary of the issue."
	}
	if d, ok := body.Fields["description"].(map[string]any); ok && d["type"] != "doc" || !ok && body.Fields["description"] != nil {
		errs["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
	}
	if len(errs) > 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errorMessages": []string{}, "errors": errs})
		return
	}
	is := &Issue{Key: fmt.Sprintf("%s-%d", project["key"], s.next), Fields: body.Fields, Status: "Open"}
	s.next++
	s.issues = append(s.issues, is)
	writeJSON(w, http.StatusCreated, map[string]string{"id": fmt.Sprint(10000 + s.next), "key": is.Key,
		"self": "https://site.example/rest/api/3/issue/" + is.Key})
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	jql := r.URL.Query().Get("jql")
	m := labelTerm.FindStringSubmatch(jql)
	var out []any
	for _, is := range s.issues {
		if m != nil && hasLabel(is, m[1]) {
			out = append(out, s.shape(is))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"issues": out, "isLast": true})
}

func hasLabel(is *Issue, l string) bool {
	labels, _ := is.Fields["labels"].([]any)
	for _, x := range labels {
		if x == l {
			return true
		}
	}
	return false
}

func (s *Server) shape(is *Issue) map[string]any {
	return map[string]any{"id": is.Key, "key": is.Key, "self": "https://site.example/rest/api/3/issue/" + is.Key,
		"fields": map[string]any{"status": map[string]any{"name": is.Status, "id": "1",
			"statusCategory": map[string]any{"key": category(is.Status), "name": category(is.Status)}}}}
}

// available are the transitions the issue may take now.
func (s *Server) available(is *Issue) []transition {
	var out []transition
	for _, t := range workflow[is.Status] {
		if t.to == "Implementing" && is.Approval != "approved" {
			continue // the approval step's condition
		}
		out = append(out, t)
	}
	return out
}

func (s *Server) transitions(w http.ResponseWriter, is *Issue) {
	var out []any
	for _, t := range s.available(is) {
		out = append(out, map[string]any{"id": t.id, "name": t.name, "hasScreen": false,
			"to": map[string]any{"id": "1", "name": t.to, "statusCategory": map[string]any{"key": category(t.to)}}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"expand": "transitions", "transitions": out})
}

func (s *Server) transition(w http.ResponseWriter, r *http.Request, is *Issue) {
	var body struct {
		Transition struct {
			ID string `json:"id"`
		} `json:"transition"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	for _, t := range s.available(is) {
		if t.id == body.Transition.ID {
			is.Status = t.to
			if t.to == "Authorize" && is.Approval == "" {
				is.Approval = "pending"
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	writeErr(w, http.StatusBadRequest, fmt.Sprintf("Transition id '%s' is not valid for this issue.", body.Transition.ID))
}

func (s *Server) comment(w http.ResponseWriter, r *http.Request, is *Issue) {
	var body struct {
		Body map[string]any `json:"body"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Body["type"] != "doc" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errorMessages": []string{},
			"errors": map[string]string{"comment": "Comment body must be an Atlassian Document"}})
		return
	}
	raw, _ := json.Marshal(body.Body)
	is.Comments = append(is.Comments, string(raw))
	writeJSON(w, http.StatusCreated, map[string]any{"id": fmt.Sprint(len(is.Comments)), "body": body.Body})
}

// Approve gives the change approval on key (the CAB's decision).
func (s *Server) Approve(key string) { s.decide(key, "approved") }

// Decline declines it.
func (s *Server) Decline(key string) { s.decide(key, "declined") }

func (s *Server) decide(key, d string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if is := s.issue(key); is != nil {
		is.Approval = d
	}
}

// Issues returns copies of the issues, in creation order.
func (s *Server) Issues() []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Issue, len(s.issues))
	for i, is := range s.issues {
		out[i] = *is
		out[i].Comments = append([]string(nil), is.Comments...)
	}
	return out
}

// Count returns how many requests of key ("POST /issue") came.
func (s *Server) Count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Requests[key]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"errorMessages": []string{msg}, "errors": map[string]string{}})
}

// Text is every text node of an ADF document, joined.
func Text(adf string) string {
	var b strings.Builder
	re := regexp.MustCompile(`"text":"((?:[^"\\]|\\.)*)"`)
	for _, m := range re.FindAllStringSubmatch(adf, -1) {
		b.WriteString(m[1] + "\n")
	}
	return b.String()
}
