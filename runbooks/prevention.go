package runbooks

import (
	"strings"
	"time"
)

// Prevention is one Detection → Prevention rollout runbook: one tier of a
// tenant moved from the Falcon detection policy to the prevention policy,
// then watched for a monitoring window whose detection gate decides
// whether the next tier may follow. Mode detection is the opposite move:
// a tier rolled back to detection as one approved action. It is a record
// of its own kind on the one engine (see kinds.go).
type Prevention struct {
	ID          string           `json:"id"`
	Tenant      string           `json:"tenant"`
	Tier        string           `json:"tier"` // a pipeline environment
	Mode        string           `json:"mode"` // ModePrevention or ModeDetection
	Requester   string           `json:"requester"`
	RequestedBy *Person          `json:"requested_by,omitempty"`
	Reason      string           `json:"reason,omitempty"`
	Created     time.Time        `json:"created"`
	Status      PreventionStatus `json:"status"`

	// The tier's approval policy, copied at request time.
	MinApprovals int        `json:"min_approvals"`
	FourEyes     bool       `json:"four_eyes,omitempty"`
	Production   bool       `json:"production,omitempty"`
	Approvals    []Approval `json:"approvals,omitempty"`

	// Plan is the tier's prevention settings, copied at request time so
	// the evidence shows what the rollout ran under.
	Plan PreventionTier `json:"plan"`
	// After names the rollout of the previous tier whose passed gate let
	// this one start (empty for the first tier and for detection).
	After string `json:"after,omitempty"`

	Missing    []string         `json:"missing,omitempty"` // required exclusions not found
	Exclusions []string         `json:"exclusions,omitempty"`
	Assigned   time.Time        `json:"assigned,omitempty"` // the host group moved
	Move       *PolicyMove      `json:"move,omitempty"`
	WindowEnds time.Time        `json:"window_ends,omitempty"`
	NextCheck  time.Time        `json:"next_check,omitempty"`
	Latest     *DetectionCounts `json:"latest,omitempty"` // shown during the window
	Gate       *DetectionGate   `json:"gate,omitempty"`   // judged at its end

	Errors    int              `json:"errors,omitempty"`
	FailedIn  PreventionStatus `json:"failed_in,omitempty"` // where a retry resumes
	LastError string           `json:"last_error,omitempty"`
	// Incident is the page a failure opened (edr_pages.go).
	Incident Incident  `json:"incident"`
	Ended    time.Time `json:"ended,omitempty"`

	Journal
}

// Modes a rollout moves a tier's host group to.
const (
	ModePrevention = "prevention"
	ModeDetection  = "detection"
)

// PreventionStatus is where a rollout stands.
type PreventionStatus string

const (
	PreventionAwaitingApproval PreventionStatus = "awaiting_approval"
	PreventionChecking         PreventionStatus = "checking_exclusions"
	PreventionBlocked          PreventionStatus = "blocked" // exclusions missing: retry or reject
	PreventionAssigning        PreventionStatus = "assigning"
	PreventionMonitoring       PreventionStatus = "monitoring"
	PreventionFailed           PreventionStatus = "failed" // provider errors: retry or reject
	PreventionPassed           PreventionStatus = "passed"
	PreventionGateFailed       PreventionStatus = "gate_failed"
	PreventionCompleted        PreventionStatus = "completed" // a detection rollback done
	PreventionRejected         PreventionStatus = "rejected"
	// PreventionRolledBack: a detection rollback of the tier ended the
	// window before its gate.
	PreventionRolledBack PreventionStatus = "rolled_back"
)

// Terminal reports whether nothing more will happen to the rollout.
func (s PreventionStatus) Terminal() bool {
	switch s {
	case PreventionPassed, PreventionGateFailed, PreventionCompleted, PreventionRejected, PreventionRolledBack:
		return true
	}
	return false
}

// Prevention audit event types.
const (
	EvPreventionRequested  = "prevention.requested"
	EvPreventionRefused    = "prevention.refused"
	EvPreventionRejected   = "prevention.rejected"
	EvPreventionRetry      = "prevention.retry"
	EvPreventionBlocked    = "prevention.exclusions_missing"
	EvPreventionExclusions = "prevention.exclusions_present"
	EvPreventionAssigned   = "prevention.policy_assigned"
	EvPreventionCheck      = "prevention.detections"
	EvPreventionPassed     = "prevention.gate_passed"
	EvPreventionGateFailed = "prevention.gate_failed"
	EvPreventionFailed     = "prevention.failed"
	EvPreventionRolledBack = "prevention.rolled_back"
)

const preventionIDPrefix = "PV-"

// IsPreventionID reports whether id names a prevention rollout.
func IsPreventionID(id string) bool { return strings.HasPrefix(id, preventionIDPrefix) }

func (p *Prevention) recordID() string { return p.ID }

// note records what the system did.
func (p *Prevention) note(now time.Time, typ, detail string, data map[string]string) {
	p.emit(Event{At: now.UTC(), Cycle: p.ID, Tenant: p.Tenant, Stage: p.Tier, Type: typ, Actor: ActorSystem, Detail: detail, Data: data})
}

// noteBy records what a person did.
func (p *Prevention) noteBy(now time.Time, typ string, who Person, detail string, data map[string]string) {
	p.emit(Event{At: now.UTC(), Cycle: p.ID, Tenant: p.Tenant, Stage: p.Tier, Type: typ, Actor: who.ID, Person: &who, Detail: detail, Data: data})
}

// ApprovedBy reports whether user already approved.
func (p *Prevention) ApprovedBy(user string) bool {
	for _, a := range p.Approvals {
		if a.By == user {
			return true
		}
	}
	return false
}

// Clone copies what the engine edits in place.
func (p *Prevention) Clone() *Prevention {
	n := *p
	n.Approvals = append([]Approval(nil), p.Approvals...)
	n.Missing = append([]string(nil), p.Missing...)
	n.Exclusions = append([]string(nil), p.Exclusions...)
	n.Journal = p.Journal.clone()
	if p.Latest != nil {
		l := p.Latest.clone()
		n.Latest = &l
	}
	if p.Gate != nil {
		g := *p.Gate
		g.Counts = g.Counts.clone()
		n.Gate = &g
	}
	return &n
}
