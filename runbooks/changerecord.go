package runbooks

import (
	"context"
	"fmt"
	"time"
)

// ChangeKind is the ITIL type of a change record: a scheduled cycle is a
// normal change, an out-of-cycle fix an emergency one.
type ChangeKind string

const (
	ChangeNormal    ChangeKind = "normal"
	ChangeEmergency ChangeKind = "emergency"
)

// ChangeState is where a cycle's change record should stand, in the
// platform's neutral terms; each platform maps it to its own states
// (ServiceNow's assess/implement/review/closed, a Jira workflow's
// transitions).
type ChangeState string

const (
	// ChangeRequested: the record exists and its approval is requested.
	ChangeRequested ChangeState = "requested"
	// ChangeImplementing: an environment stage is changing hosts.
	ChangeImplementing ChangeState = "implement"
	// ChangeReviewing: every environment is done; the report is made.
	ChangeReviewing ChangeState = "review"
	// ChangeClosed: the cycle ended; the record holds the outcome.
	ChangeClosed ChangeState = "closed"
)

// ChangeSpec is what a change record is created with, filled from the
// cycle (PCI DSS 6.5.1: reason, security impact, approval, testing and a
// back-out procedure).
type ChangeSpec struct {
	CycleID          string     // the correlation ID the record is found by
	Tenant           string     //
	Kind             ChangeKind //
	ShortDescription string
	Description      string
	Justification    string
	RiskImpact       string
	Implementation   string
	TestPlan         string
	BackoutPlan      string
	PlannedStart     time.Time
	PlannedEnd       time.Time
}

// ChangeOutcome is how a change record is closed.
type ChangeOutcome struct {
	// Code is successful, unsuccessful or canceled.
	Code     string
	Notes    string
	Evidence []string // links to the report and its files
}

// Change close codes.
const (
	CloseSuccessful   = "successful"
	CloseUnsuccessful = "unsuccessful"
	CloseCanceled     = "canceled"
)

// ChangeStatus is a change record as its platform has it now.
type ChangeStatus struct {
	ID     string // ServiceNow sys_id, Jira issue key
	Number string // CHG0030001, CHG-12
	URL    string // where a person opens it
	// State is the platform's own name of the record's state (Assess,
	// Scheduled, "Awaiting implementation").
	State string
	// Approval is the platform's approval as it words it (approved,
	// requested, rejected, not requested, pending).
	Approval string
	Approved bool
	Rejected bool
	Closed   bool
}

// ChangeRecords keeps one change record per cycle in a change management
// platform (ServiceNow, Jira Service Management). Create is idempotent by
// the cycle ID: it returns the record an earlier call made for the same
// cycle (found by correlation ID) instead of making a second one.
// Transition, Close and Get take the record's ID; Transition also its
// kind, since normal and emergency changes walk different states. It is optional; nil
// leaves change records off.
type ChangeRecords interface {
	Platform() string // servicenow, jira
	Create(ctx context.Context, spec ChangeSpec) (ChangeStatus, error)
	Transition(ctx context.Context, id string, kind ChangeKind, to ChangeState, note string) (ChangeStatus, error)
	Close(ctx context.Context, id string, out ChangeOutcome) (ChangeStatus, error)
	Get(ctx context.Context, id string) (ChangeStatus, error)
}

// ChangeRef is the cycle's change record as the engine last saw it.
type ChangeRef struct {
	Platform string     `json:"platform"`
	Kind     ChangeKind `json:"kind"`
	ID       string     `json:"id,omitempty"`
	Number   string     `json:"number,omitempty"`
	URL      string     `json:"url,omitempty"`
	// State is the neutral state last reached in the platform; empty until
	// the record is created.
	State ChangeState `json:"state,omitempty"`
	// PlatformState and Approval are the platform's own words.
	PlatformState string `json:"platform_state,omitempty"`
	Approval      string `json:"approval,omitempty"`
	Approved      bool   `json:"approved,omitempty"`
	Rejected      bool   `json:"rejected,omitempty"`
	// States lists every state reached, in order, for the evidence.
	States []string `json:"states,omitempty"`
	// Errors counts consecutive failed calls; LastError is the last one.
	// A failure never fails a stage: the call is retried at RetryAt.
	Errors    int    `json:"errors,omitempty"`
	LastError string `json:"last_error,omitempty"`
	// LastAction is what the failing call tried (create, close, …).
	LastAction string `json:"last_action,omitempty"`
	// RetryAt is when the next call is due: a retry after a failure, or
	// the next look at the approval.
	RetryAt time.Time `json:"retry_at,omitempty"`
	// GaveUp is set when the close kept failing at the end of the cycle
	// and the cycle was archived without it.
	GaveUp string `json:"gave_up,omitempty"`
}

// Label names the record for people: "ServiceNow CHG0030001 (Assess)".
func (r *ChangeRef) Label() string {
	if r == nil {
		return ""
	}
	name := PlatformName(r.Platform)
	if r.Number == "" {
		return name + " change (not created yet)"
	}
	s := name + " " + r.Number
	if r.PlatformState != "" {
		s += " (" + r.PlatformState + ")"
	}
	return s
}

// Trouble says for people what is wrong with the cycle's change record: a
// call that keeps failing (which, how often, when it is tried again) or a
// close given up; "" when nothing is. cycle show, /patch status and the
// cycle's message print it beside the stage's own trouble.
func (c *Cycle) ChangeTrouble() string {
	r := c.Change
	switch {
	case r == nil:
		return ""
	case r.GaveUp != "":
		return r.Label() + " left open: " + r.GaveUp
	case r.Errors > 0:
		return fmt.Sprintf("change record %s in %s failed (%d in a row, next try %s): %s", r.LastAction,
			PlatformName(r.Platform), r.Errors, r.RetryAt.UTC().Format("15:04:05Z"), r.LastError)
	}
	return ""
}

// PlatformName is how people write a change platform's name.
func PlatformName(p string) string {
	switch p {
	case "servicenow":
		return "ServiceNow"
	case "jira":
		return "Jira"
	}
	return p
}

// Audit event types of change records.
const (
	EvChangeCreated    = "change.created"
	EvChangeTransition = "change.transitioned"
	EvChangeApproved   = "change.approved"
	EvChangeRejected   = "change.rejected"
	EvChangeClosed     = "change.closed"
	EvChangeFailed     = "change.unavailable"
)

// Retry spacing of change platform calls: doubled per failure up to the
// cap, so a long outage costs one call every few minutes.
const (
	changeRetryBase = 15 * time.Second
	changeRetryMax  = 5 * time.Minute
	// changeCloseAttempts is how often closing is tried at the end of a
	// cycle before the cycle is archived with the record left open (and
	// that said in the evidence), so an outage never keeps a tenant's
	// next cycle from starting forever.
	changeCloseAttempts = 20
)

// changeWant is where the cycle's record should stand now.
func (c *Cycle) changeWant() ChangeState {
	if c.Status.Terminal() {
		return ChangeClosed
	}
	i := c.Current()
	if i < 0 || c.Stages[i].Kind == KindReport {
		return ChangeReviewing
	}
	for _, s := range c.Stages {
		if s.Kind == KindEnvironment && s.Phase != PhasePending && s.Phase != PhaseApproval && s.Phase != PhaseWindow {
			return ChangeImplementing
		}
	}
	return ChangeRequested
}

// changeAfter is the state that follows s.
func changeAfter(s ChangeState) ChangeState {
	switch s {
	case "":
		return ChangeRequested
	case ChangeRequested:
		return ChangeImplementing
	}
	return ChangeReviewing
}

// changeRank orders the neutral states, so a record never moves back.
func changeRank(s ChangeState) int {
	switch s {
	case ChangeRequested:
		return 1
	case ChangeImplementing:
		return 2
	case ChangeReviewing:
		return 3
	case ChangeClosed:
		return 4
	}
	return 0
}

// changeAction is the change record step due now, if any: create the
// record, move it to the state the stages reached, close it. A step that
// failed waits for RetryAt while the cycle goes on; a finished cycle waits
// for its close (up to changeCloseAttempts) before it is archived.
func changeAction(c *Cycle, now time.Time) (Action, bool) {
	r := c.Change
	if r == nil || r.GaveUp != "" {
		return Action{}, false
	}
	want := c.changeWant()
	var reason string
	switch {
	case r.ID == "":
		reason = "create"
		if want == ChangeClosed && (c.Status == StatusRejected || c.Status == StatusExpired) {
			return Action{}, false // rejected before the record existed: nothing to close
		}
	case want == ChangeClosed && r.State != ChangeClosed:
		reason = "close"
	case changeRank(want) > changeRank(r.State):
		if r.State == ChangeRequested && !r.Approved {
			// The platform moves an unapproved record no further; look at
			// its approval until it is given.
			reason = "poll"
		} else {
			// One state at a time, as a change model walks them.
			reason = string(changeAfter(r.State))
		}
	default:
		return Action{}, false
	}
	if now.Before(r.RetryAt) {
		if c.Status.Terminal() {
			return Action{Kind: ActWait, Stage: -1, Until: r.RetryAt, Reason: "closing " + r.Label() + ": " + r.LastError}, true
		}
		return Action{}, false
	}
	return Action{Kind: ActChange, Stage: -1, Reason: reason}, true
}

// changeHold keeps stage i from opening while its tier requires the change
// record to be approved in the platform and it is not (yet).
func changeHold(c *Cycle, i int, now time.Time) (Action, bool) {
	s := &c.Stages[i]
	if !s.RequireChangeApproval {
		return Action{}, false
	}
	r := c.Change
	switch {
	case r == nil:
		return Action{Kind: ActWait, Stage: i, Reason: "requires an approved change record, but change records are off for this cycle"}, true
	case r.Approved:
		return Action{}, false
	case r.Rejected:
		return Action{Kind: ActWait, Stage: i, Reason: r.Label() + " was rejected; halt the cycle or have it approved"}, true
	case r.ID != "" && !now.Before(r.RetryAt):
		return Action{Kind: ActChange, Stage: i, Reason: "poll"}, true
	}
	return Action{Kind: ActWait, Stage: i, Until: r.RetryAt, Reason: "waiting for " + r.Label() + " to be approved"}, true
}
