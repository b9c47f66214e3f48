// Package servicenow keeps a cycle's change record in ServiceNow through
// the Change Management REST API (sn_chg_rest): create a normal or
// emergency change (POST /api/sn_chg_rest/v1/change/normal|emergency),
// find it by correlation ID (GET /api/sn_chg_rest/v1/change), move and
// close it (PATCH /api/sn_chg_rest/v1/change/{sys_id}). ServiceNow has no
// Go client served by the module proxy, so this is a small net/http
// client (providers/rest).
package servicenow

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/patchgate/patchgate/providers/rest"
	"github.com/patchgate/patchgate/runbooks"
)

const apiBase = "/api/sn_chg_rest/v1/change"

// Config configures a Client.
type Config struct {
	URL string // https://example.service-now.com
	// Username and Password authenticate with basic auth; Token, when set,
	// is sent as an OAuth bearer token instead. Resolved secrets: never
	// logged or put in an error.
	Username, Password, Token string
	// AssignmentGroup and Category fill those fields of a new change (a
	// group's sys_id or name, as the instance accepts); Fields are any
	// further fields (cmdb_ci, business_service) set on creation.
	AssignmentGroup string
	Category        string
	Fields          map[string]string
	StepTimeout     time.Duration
	Attempts        int
	HTTPClient      *http.Client
}

// Client is a runbooks.ChangeRecords on one ServiceNow instance.
type Client struct {
	cfg  Config
	http *rest.Client
}

var _ runbooks.ChangeRecords = (*Client)(nil)

// New validates cfg.
func New(cfg Config) (*Client, error) {
	auth, secrets, err := authFor(cfg)
	if err != nil {
		return nil, err
	}
	h, err := rest.New(rest.Config{System: "servicenow", BaseURL: cfg.URL, Endpoint: "change_records.servicenow.url",
		Auth: auth, Secrets: secrets, StepTimeout: cfg.StepTimeout, Attempts: cfg.Attempts, HTTPClient: cfg.HTTPClient})
	if err != nil {
		return nil, err
	}
	if cfg.Category == "" {
		cfg.Category = "Software"
	}
	return &Client{cfg: cfg, http: h}, nil
}

func authFor(cfg Config) (func(*http.Request), []string, error) {
	switch {
	case cfg.Token != "":
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+cfg.Token) }, []string{cfg.Token}, nil
	case cfg.Username != "" && cfg.Password != "":
		return func(r *http.Request) { r.SetBasicAuth(cfg.Username, cfg.Password) }, []string{cfg.Password}, nil
	}
	return nil, nil, fmt.Errorf("servicenow: set a token, or a username and password")
}

// SetSleep replaces the pause between attempts (tests).
func (c *Client) SetSleep(f func(context.Context, time.Duration) error) { c.http.Sleep = f }

// Platform names ServiceNow.
func (c *Client) Platform() string { return "servicenow" }

// EvidenceSource names ServiceNow as the source of what this client answers.
func (c *Client) EvidenceSource() string { return "servicenow" }

// Create finds the change an earlier call made for spec.CycleID (by
// correlation_id) or creates one. A POST that got no answer may have
// created the record, so each attempt looks before it creates.
func (c *Client) Create(ctx context.Context, spec runbooks.ChangeSpec) (runbooks.ChangeStatus, error) {
	var last error
	for attempt := 0; attempt < 2; attempt++ {
		if st, found, err := c.find(ctx, spec.CycleID); err != nil {
			return st, err
		} else if found {
			return st, nil
		}
		kind := "normal"
		if spec.Kind == runbooks.ChangeEmergency {
			kind = "emergency"
		}
		var out envelope
		err := c.http.Do(ctx, rest.Request{Op: "POST " + apiBase + "/" + kind, Method: http.MethodPost,
			Path: apiBase + "/" + kind, Body: c.createBody(spec)}, &out)
		if err == nil {
			return c.status(out.Result)
		}
		last = err
		if s := rest.StatusOf(err); s >= 400 && s < 500 {
			return runbooks.ChangeStatus{}, err
		}
	}
	return runbooks.ChangeStatus{}, last
}

// find looks up the change whose correlation_id is the cycle ID.
func (c *Client) find(ctx context.Context, cycleID string) (runbooks.ChangeStatus, bool, error) {
	q := url.Values{"sysparm_query": {"correlation_id=" + cycleID + "^ORDERBYsys_created_on"}, "sysparm_limit": {"1"}}
	var out envelope
	if err := c.http.Do(ctx, rest.Request{Op: "GET " + apiBase, Method: http.MethodGet, Path: apiBase, Query: q, Retry: true}, &out); err != nil {
		return runbooks.ChangeStatus{}, false, err
	}
	recs, err := out.records()
	if err != nil || len(recs) == 0 {
		return runbooks.ChangeStatus{}, false, err
	}
	st, err := c.statusOf(recs[0])
	return st, err == nil, err
}

// createBody is the new change's fields: the plans PCI DSS 6.5.1 asks
// for, the planned span, and the cycle ID as correlation ID.
func (c *Client) createBody(spec runbooks.ChangeSpec) map[string]string {
	b := map[string]string{
		"short_description":    spec.ShortDescription,
		"description":          spec.Description,
		"justification":        spec.Justification,
		"risk_impact_analysis": spec.RiskImpact,
		"implementation_plan":  spec.Implementation,
		"test_plan":            spec.TestPlan,
		"backout_plan":         spec.BackoutPlan,
		"start_date":           snTime(spec.PlannedStart),
		"end_date":             snTime(spec.PlannedEnd),
		"correlation_id":       spec.CycleID,
		"correlation_display":  "patchgate",
		"category":             c.cfg.Category,
	}
	if c.cfg.AssignmentGroup != "" {
		b["assignment_group"] = c.cfg.AssignmentGroup
	}
	for k, v := range c.cfg.Fields {
		b[k] = v
	}
	return b
}

// snTime is a date-time as ServiceNow's API reads it (the integration
// user's time zone, which should be UTC).
func snTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// Transition moves the change to the state the cycle reached: assess
// (authorize for an emergency change) to request approval, implement,
// review.
func (c *Client) Transition(ctx context.Context, id string, kind runbooks.ChangeKind, to runbooks.ChangeState, note string) (runbooks.ChangeStatus, error) {
	state := map[runbooks.ChangeState]string{runbooks.ChangeRequested: "assess",
		runbooks.ChangeImplementing: "implement", runbooks.ChangeReviewing: "review"}[to]
	if to == runbooks.ChangeRequested && kind == runbooks.ChangeEmergency {
		state = "authorize"
	}
	if state == "" {
		return runbooks.ChangeStatus{}, fmt.Errorf("servicenow: no state for %q", to)
	}
	return c.patch(ctx, id, map[string]string{"state": state, "work_notes": note})
}

// Close closes the change with its close code, notes and evidence links;
// a canceled cycle cancels it.
func (c *Client) Close(ctx context.Context, id string, out runbooks.ChangeOutcome) (runbooks.ChangeStatus, error) {
	body := map[string]string{"state": "closed", "close_notes": out.Notes}
	switch out.Code {
	case runbooks.CloseCanceled:
		body["state"] = "canceled"
	case runbooks.CloseUnsuccessful:
		body["close_code"] = "unsuccessful"
	default:
		body["close_code"] = "successful"
	}
	if len(out.Evidence) > 0 {
		body["work_notes"] = "Evidence: " + strings.Join(out.Evidence, "\n")
	}
	return c.patch(ctx, id, body)
}

// patch sets fields on the change; setting the same values twice is
// harmless, so it is retried.
func (c *Client) patch(ctx context.Context, id string, body map[string]string) (runbooks.ChangeStatus, error) {
	var out envelope
	p := apiBase + "/" + url.PathEscape(id)
	if err := c.http.Do(ctx, rest.Request{Op: "PATCH " + apiBase + "/{sys_id}", Method: http.MethodPatch, Path: p, Body: body, Retry: true}, &out); err != nil {
		return runbooks.ChangeStatus{}, err
	}
	return c.status(out.Result)
}

// Get reads the change's state and approval.
func (c *Client) Get(ctx context.Context, id string) (runbooks.ChangeStatus, error) {
	var out envelope
	p := apiBase + "/" + url.PathEscape(id)
	if err := c.http.Do(ctx, rest.Request{Op: "GET " + apiBase + "/{sys_id}", Method: http.MethodGet, Path: p, Retry: true}, &out); err != nil {
		return runbooks.ChangeStatus{}, err
	}
	return c.status(out.Result)
}

func (c *Client) status(raw json.RawMessage) (runbooks.ChangeStatus, error) {
	recs, err := envelope{Result: raw}.records()
	if err != nil {
		return runbooks.ChangeStatus{}, err
	}
	if len(recs) == 0 {
		return runbooks.ChangeStatus{}, fmt.Errorf("servicenow: the answer holds no change record")
	}
	return c.statusOf(recs[0])
}

// statusOf reads a change_request record: approval approved/rejected,
// state 3 closed and 4 canceled.
func (c *Client) statusOf(r record) (runbooks.ChangeStatus, error) {
	id := r.value("sys_id")
	if id == "" {
		return runbooks.ChangeStatus{}, fmt.Errorf("servicenow: the change record has no sys_id")
	}
	approval := r.value("approval")
	state := r.display("state")
	sv := r.value("state")
	return runbooks.ChangeStatus{
		ID: id, Number: r.value("number"),
		URL:   c.http.BaseURL() + "/change_request.do?sys_id=" + url.QueryEscape(id),
		State: state, Approval: orDefault(r.display("approval"), approval),
		Approved: approval == "approved", Rejected: approval == "rejected",
		Closed: sv == "3" || sv == "4" || strings.EqualFold(state, "closed") || strings.EqualFold(state, "canceled"),
	}, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
