package runbooks

import "time"

// Event is one audit record: who did what, when, to which stage, with which
// inputs and result. Events of a cycle are numbered 1, 2, 3… and appended to
// the stream AuditStream(cycle) at exactly that sequence.
type Event struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	Cycle  string    `json:"cycle"`
	Tenant string    `json:"tenant"`
	Stage  string    `json:"stage,omitempty"`
	Type   string    `json:"type"`
	Actor  string    `json:"actor"` // a chat user ID, or "patchgate"
	// Person is the actor as the directory knew them at the time, on
	// events a person caused (requests, decisions, refusals).
	Person *Person           `json:"person,omitempty"`
	Detail string            `json:"detail,omitempty"`
	Data   map[string]string `json:"data,omitempty"`
}

// Event types.
const (
	EvCycleStarted     = "cycle.started"
	EvCycleCompleted   = "cycle.completed"
	EvCycleRejected    = "cycle.rejected"
	EvStageOpened      = "stage.opened"
	EvStageDone        = "stage.done"
	EvStageFailed      = "stage.failed"
	EvGatePassed       = "gate.passed"
	EvGateFailed       = "gate.failed"
	EvApproved         = "approval.granted"
	EvApprovalComplete = "approval.complete"
	EvHalted           = "cycle.halted"
	EvResumed          = "cycle.resumed"
	EvRetry            = "stage.retry"
	EvExclusions       = "stage.exclusions"
	EvRefused          = "decision.refused"
	EvStartRefused     = "start.refused"
	EvBackupStarted    = "backup.started"
	EvBackupDone       = "backup.done"
	EvPatchStarted     = "patch.started"
	EvPatchDone        = "patch.done"
	EvSoakStarted      = "soak.started"
	EvIncidentOpened   = "incident.triggered"
	EvIncidentAcked    = "incident.acknowledged"
	EvIncidentResolved = "incident.resolved"
	EvReportDone       = "report.done"
)

// ActorSystem is the actor of events the engine causes itself.
const ActorSystem = "patchgate"

// AuditStream is the hash-chained stream holding a cycle's events.
func AuditStream(cycleID string) string { return "audit/cycle/" + cycleID }

// RefusalStream holds refused decisions of a cycle. Refusals change nothing in
// the cycle, so they are chained on their own stream rather than numbered
// among the cycle's events.
func RefusalStream(cycleID string) string { return "audit/refusals/" + cycleID }

// StartRefusalStream holds a tenant's refused cycle starts (the requesters
// policy): a refused start opens no cycle, so its refusal is chained per
// tenant.
func StartRefusalStream(tenant string) string { return "audit/start-refusals/" + tenant }

// emit adds an event to the cycle's outbox and moves its revision.
func (c *Cycle) emit(now time.Time, stage, typ, actor, detail string, data map[string]string) {
	c.Revision++
	c.Outbox = append(c.Outbox, Event{
		Seq: c.Revision, At: now.UTC(), Cycle: c.ID, Tenant: c.Tenant,
		Stage: stage, Type: typ, Actor: actor, Detail: detail, Data: data,
	})
}
