// Package jira keeps a cycle's change record as a Jira Service Management
// issue through the Jira Cloud REST API v3: create it
// (POST /rest/api/3/issue), find it again by its label
// (GET /rest/api/3/search/jql), move it through the project's workflow
// (GET and POST /rest/api/3/issue/{key}/transitions), comment the outcome
// (POST /rest/api/3/issue/{key}/comment) and read its approvals
// (GET /rest/servicedeskapi/request/{key}/approval). The Go clients for
// Jira (andygrunwald/go-jira, ctreminiom/go-atlassian) are not served by
// the module proxy here, so this is a small net/http client
// (providers/rest).
package jira

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/patchgate/patchgate/providers/rest"
	"github.com/patchgate/patchgate/runbooks"
)

// Config configures a Client.
type Config struct {
	URL string // https://acme.atlassian.net
	// Email and APIToken authenticate with basic auth (Jira Cloud); Token,
	// when set, is sent as a bearer token instead (a Data Center personal
	// access token). Resolved secrets: never logged or put in an error.
	Email, APIToken, Token string
	Project                string // project key, e.g. CHG
	IssueType              string // default "Change"
	// Statuses names the workflow status each state moves the issue to:
	// requested, implement, review, closed and canceled. The issue takes
	// the available transition into that status (or one so named); a state
	// without a status is not moved to (the issue only gets the comment).
	Statuses map[string]string
	// ApprovedStatuses, when set, decide approval by the issue's status;
	// otherwise the request's Service Management approvals do.
	ApprovedStatuses []string
	// Fields are further fields set on creation (field ID → value).
	Fields      map[string]string
	StepTimeout time.Duration
	Attempts    int
	HTTPClient  *http.Client
}

// DefaultStatuses are the statuses of a Jira Service Management change
// workflow as patchgate expects them when the file names none.
var DefaultStatuses = map[string]string{"requested": "Authorize", "implement": "Implementing",
	"review": "Review", "closed": "Closed", "canceled": "Canceled"}

// Client is a runbooks.ChangeRecords on one Jira site.
type Client struct {
	cfg  Config
	http *rest.Client
}

var _ runbooks.ChangeRecords = (*Client)(nil)

// New validates cfg.
func New(cfg Config) (*Client, error) {
	var auth func(*http.Request)
	var secrets []string
	switch {
	case cfg.Token != "":
		auth, secrets = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+cfg.Token) }, []string{cfg.Token}
	case cfg.Email != "" && cfg.APIToken != "":
		auth, secrets = func(r *http.Request) { r.SetBasicAuth(cfg.Email, cfg.APIToken) }, []string{cfg.APIToken}
	default:
		return nil, fmt.Errorf("jira: set email and api_token, or token")
	}
	if cfg.Project == "" {
		return nil, fmt.Errorf("jira: project is empty")
	}
	if cfg.IssueType == "" {
		cfg.IssueType = "Change"
	}
	if cfg.Statuses == nil {
		cfg.Statuses = DefaultStatuses
	}
	h, err := rest.New(rest.Config{System: "jira", BaseURL: cfg.URL, Endpoint: "change_records.jira.url",
		Auth: auth, Secrets: secrets, StepTimeout: cfg.StepTimeout, Attempts: cfg.Attempts, HTTPClient: cfg.HTTPClient})
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, http: h}, nil
}

// SetSleep replaces the pause between attempts (tests).
func (c *Client) SetSleep(f func(context.Context, time.Duration) error) { c.http.Sleep = f }

// Platform names Jira.
func (c *Client) Platform() string { return "jira" }

// EvidenceSource names Jira as the source of what this client answers.
func (c *Client) EvidenceSource() string { return "jira" }

// label is the label a cycle's issue is found by.
func label(cycleID string) string { return "patchgate-" + cycleID }

// Create finds the issue an earlier call made for the cycle (by its label)
// or creates one. A create that got no answer may have made the issue, so
// each attempt looks before it creates.
func (c *Client) Create(ctx context.Context, spec runbooks.ChangeSpec) (runbooks.ChangeStatus, error) {
	var last error
	for attempt := 0; attempt < 2; attempt++ {
		if st, found, err := c.find(ctx, spec.CycleID); err != nil || found {
			return st, err
		}
		var out struct {
			ID  string `json:"id"`
			Key string `json:"key"`
		}
		err := c.http.Do(ctx, rest.Request{Op: "POST /rest/api/3/issue", Method: http.MethodPost, Path: "/rest/api/3/issue",
			Body: map[string]any{"fields": c.createFields(spec)}}, &out)
		if err == nil {
			if out.Key == "" {
				return runbooks.ChangeStatus{}, fmt.Errorf("jira: the created issue has no key")
			}
			return c.Get(ctx, out.Key)
		}
		last = err
		if s := rest.StatusOf(err); s >= 400 && s < 500 {
			return runbooks.ChangeStatus{}, err
		}
	}
	return runbooks.ChangeStatus{}, last
}

func (c *Client) createFields(spec runbooks.ChangeSpec) map[string]any {
	summary := spec.ShortDescription
	labels := []string{"patchgate", label(spec.CycleID)}
	if spec.Kind == runbooks.ChangeEmergency {
		summary = "EMERGENCY " + summary
		labels = append(labels, "emergency-change")
	}
	f := map[string]any{
		"project":   map[string]string{"key": c.cfg.Project},
		"issuetype": map[string]string{"name": c.cfg.IssueType},
		"summary":   summary,
		"labels":    labels,
		"description": doc(
			section("Description", spec.Description),
			section("Justification", spec.Justification),
			section("Risk and impact", spec.RiskImpact),
			section("Implementation plan", spec.Implementation),
			section("Test plan", spec.TestPlan),
			section("Back-out plan", spec.BackoutPlan),
			section("Planned", fmt.Sprintf("%s to %s (UTC); change type %s; patchgate cycle %s",
				spec.PlannedStart.UTC().Format("2006-01-02 15:04"), spec.PlannedEnd.UTC().Format("2006-01-02 15:04"), spec.Kind, spec.CycleID)),
		),
	}
	for k, v := range c.cfg.Fields {
		f[k] = v
	}
	return f
}

// find looks the cycle's issue up by its label.
func (c *Client) find(ctx context.Context, cycleID string) (runbooks.ChangeStatus, bool, error) {
	jql := fmt.Sprintf("project = %q AND labels = %q ORDER BY created ASC", c.cfg.Project, label(cycleID))
	var out struct {
		Issues []issue `json:"issues"`
	}
	q := url.Values{"jql": {jql}, "fields": {"status"}, "maxResults": {"1"}}
	if err := c.http.Do(ctx, rest.Request{Op: "GET /rest/api/3/search/jql", Method: http.MethodGet,
		Path: "/rest/api/3/search/jql", Query: q, Retry: true}, &out); err != nil {
		return runbooks.ChangeStatus{}, false, err
	}
	if len(out.Issues) == 0 {
		return runbooks.ChangeStatus{}, false, nil
	}
	st, err := c.statusOf(ctx, out.Issues[0])
	return st, err == nil, err
}

// issue is the part of an issue read here.
type issue struct {
	ID     string `json:"id"`
	Key    string `json:"key"`
	Fields struct {
		Status struct {
			Name           string `json:"name"`
			StatusCategory struct {
				Key string `json:"key"` // new, indeterminate, done
			} `json:"statusCategory"`
		} `json:"status"`
	} `json:"fields"`
}

// Get reads the issue's status and approval.
func (c *Client) Get(ctx context.Context, key string) (runbooks.ChangeStatus, error) {
	var is issue
	p := "/rest/api/3/issue/" + url.PathEscape(key)
	if err := c.http.Do(ctx, rest.Request{Op: "GET /rest/api/3/issue/{key}", Method: http.MethodGet, Path: p,
		Query: url.Values{"fields": {"status"}}, Retry: true}, &is); err != nil {
		return runbooks.ChangeStatus{}, err
	}
	return c.statusOf(ctx, is)
}

func (c *Client) statusOf(ctx context.Context, is issue) (runbooks.ChangeStatus, error) {
	if is.Key == "" {
		return runbooks.ChangeStatus{}, fmt.Errorf("jira: the issue has no key")
	}
	status := is.Fields.Status.Name
	st := runbooks.ChangeStatus{ID: is.Key, Number: is.Key, URL: c.http.BaseURL() + "/browse/" + url.PathEscape(is.Key),
		State: status, Closed: is.Fields.Status.StatusCategory.Key == "done"}
	if len(c.cfg.ApprovedStatuses) > 0 {
		st.Approved = slices.ContainsFunc(c.cfg.ApprovedStatuses, func(s string) bool { return strings.EqualFold(s, status) })
		st.Approval = map[bool]string{true: "approved", false: "pending"}[st.Approved]
		return st, nil
	}
	a, err := c.approval(ctx, is.Key)
	if err != nil {
		return st, err
	}
	st.Approval, st.Approved, st.Rejected = a, a == "approved", a == "declined"
	return st, nil
}

// approval is the request's approval: declined if any approval was,
// approved if there are approvals and all were, pending otherwise.
func (c *Client) approval(ctx context.Context, key string) (string, error) {
	var out struct {
		Values []struct {
			FinalDecision string `json:"finalDecision"`
		} `json:"values"`
	}
	p := "/rest/servicedeskapi/request/" + url.PathEscape(key) + "/approval"
	if err := c.http.Do(ctx, rest.Request{Op: "GET /rest/servicedeskapi/request/{key}/approval", Method: http.MethodGet,
		Path: p, Retry: true}, &out); err != nil {
		return "", err
	}
	if len(out.Values) == 0 {
		return "pending", nil
	}
	decision := "approved"
	for _, v := range out.Values {
		switch v.FinalDecision {
		case "declined":
			return "declined", nil
		case "approved":
		default:
			decision = "pending"
		}
	}
	return decision, nil
}

// Transition moves the issue by the transition configured for to, and
// comments the note.
func (c *Client) Transition(ctx context.Context, key string, kind runbooks.ChangeKind, to runbooks.ChangeState, note string) (runbooks.ChangeStatus, error) {
	if err := c.move(ctx, key, c.cfg.Statuses[string(to)]); err != nil {
		return runbooks.ChangeStatus{}, err
	}
	if note != "" {
		if err := c.comment(ctx, key, note); err != nil {
			return runbooks.ChangeStatus{}, err
		}
	}
	return c.Get(ctx, key)
}

// Close comments the outcome with the evidence links, then moves the issue
// by the closed (or, for a canceled cycle, the canceled) transition. The
// comment goes first, so a retried close finds the issue still open and
// never closes it without its outcome; a second comment is the price of a
// retry.
func (c *Client) Close(ctx context.Context, key string, out runbooks.ChangeOutcome) (runbooks.ChangeStatus, error) {
	st, err := c.Get(ctx, key)
	if err != nil {
		return st, err
	}
	if st.Closed {
		return st, nil
	}
	text := "Outcome: " + out.Code + ". " + out.Notes
	if err := c.comment(ctx, key, text, out.Evidence...); err != nil {
		return runbooks.ChangeStatus{}, err
	}
	name := c.cfg.Statuses["closed"]
	if out.Code == runbooks.CloseCanceled {
		name = orDefault(c.cfg.Statuses["canceled"], name)
	}
	if err := c.move(ctx, key, name); err != nil {
		return runbooks.ChangeStatus{}, err
	}
	return c.Get(ctx, key)
}

// move takes the available transition into status name (or one called
// name). An issue already in that status is left alone, so a retried
// move whose first answer was lost is done, not refused.
func (c *Client) move(ctx context.Context, key, name string) error {
	if name == "" {
		return nil
	}
	cur, err := c.Get(ctx, key)
	if err != nil {
		return err
	}
	if strings.EqualFold(cur.State, name) {
		return nil
	}
	var out struct {
		Transitions []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			To   struct {
				Name string `json:"name"`
			} `json:"to"`
		} `json:"transitions"`
	}
	p := "/rest/api/3/issue/" + url.PathEscape(key) + "/transitions"
	if err := c.http.Do(ctx, rest.Request{Op: "GET /rest/api/3/issue/{key}/transitions", Method: http.MethodGet, Path: p, Retry: true}, &out); err != nil {
		return err
	}
	var names []string
	for _, t := range out.Transitions {
		if strings.EqualFold(t.To.Name, name) || strings.EqualFold(t.Name, name) {
			return c.http.Do(ctx, rest.Request{Op: "POST /rest/api/3/issue/{key}/transitions", Method: http.MethodPost, Path: p,
				Body: map[string]any{"transition": map[string]string{"id": t.ID}}}, nil)
		}
		names = append(names, t.Name+" → "+t.To.Name)
	}
	return runbooks.Errorf(runbooks.CodeInvalid, "jira: %s (status %s) has no transition into %q (available: %s); check change_records.jira.statuses",
		key, cur.State, name, strings.Join(names, ", "))
}

// comment adds a comment (Atlassian Document Format) with optional links.
func (c *Client) comment(ctx context.Context, key, text string, links ...string) error {
	body := []any{paragraph(text)}
	for _, l := range links {
		body = append(body, linkParagraph(l))
	}
	p := "/rest/api/3/issue/" + url.PathEscape(key) + "/comment"
	return c.http.Do(ctx, rest.Request{Op: "POST /rest/api/3/issue/{key}/comment", Method: http.MethodPost, Path: p,
		Body: map[string]any{"body": map[string]any{"type": "doc", "version": 1, "content": body}}}, nil)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
