package runbooks

import "time"

// Status is where a whole cycle stands.
type Status string

const (
	StatusRunning   Status = "running"
	StatusHalted    Status = "halted" // by a person, or by a failed stage (see Stage.Failure)
	StatusCompleted Status = "completed"
	StatusRejected  Status = "rejected"
)

// Terminal reports whether nothing more will ever happen to the cycle.
func (s Status) Terminal() bool {
	return s == StatusCompleted || s == StatusRejected || s == StatusExpired
}

// StageKind distinguishes the three shapes of stage in the pipeline.
type StageKind string

const (
	KindPreflight   StageKind = "preflight"
	KindEnvironment StageKind = "environment"
	KindReport      StageKind = "report"
)

// Phase is where a stage stands. An environment stage walks
// pending → awaiting_approval → [awaiting_window] → health → sensors → backup → patch → verify →
// [soak] → done; preflight is pending → inventory → done; report is
// pending → report → done. Any working phase may end in failed.
type Phase string

const (
	PhasePending   Phase = "pending"
	PhaseApproval  Phase = "awaiting_approval"
	PhaseWindow    Phase = "awaiting_window" // approved; its change window is closed
	PhaseInventory Phase = "inventory"
	PhaseHealth    Phase = "health"
	PhaseSensors   Phase = "sensors"
	PhaseBackup    Phase = "backup"
	PhasePatch     Phase = "patch"
	PhaseVerify    Phase = "verify"
	PhaseSoak      Phase = "soak"
	PhaseReport    Phase = "report"
	PhaseDone      Phase = "done"
	PhaseFailed    Phase = "failed"
)

// Cycle is one tenant's patch cycle: the record the engine reconciles.
type Cycle struct {
	ID        string `json:"id"`
	Tenant    string `json:"tenant"`
	Requester string `json:"requester"`
	// RequestedBy is the requester as the directory knew them at the start.
	RequestedBy *Person   `json:"requested_by,omitempty"`
	Created     time.Time `json:"created"`
	Status      Status    `json:"status"`
	Stages      []Stage   `json:"stages"`
	Halt        *Halt     `json:"halt,omitempty"`
	Ended       time.Time `json:"ended,omitempty"`
	Report      *Report   `json:"report,omitempty"`
	Scope       Scope     `json:"scope"`
	// Format is the record format the cycle was written in (RecordFormat);
	// records of format 1 carry none.
	Format int `json:"format,omitempty"`

	// Revision counts the audit events of the cycle; it is what a Slack
	// message is rendered from, so a click carries it and a decision made on
	// an older revision is refused. Bookkeeping writes (progress counts,
	// outbox clean-up) leave it alone, so they never make a message stale.
	Revision int64 `json:"revision"`
	// Outbox holds events written with the record but maybe not yet appended
	// to the audit stream or shown in chat; replays are idempotent because
	// each event keeps its sequence number.
	Outbox []Event `json:"outbox,omitempty"`
	// Notified is the last event sequence handed to Chat.
	Notified int64 `json:"notified"`
	// Interactions are the chat interaction IDs already applied, so a
	// retried delivery of the same click is a no-op.
	Interactions []string `json:"interactions,omitempty"`

	// change record
	Change *ChangeRef `json:"change,omitempty"`

	// change governance: windows, freezes, expiry, emergency
	// Frozen is the freeze holding the cycle back, once recorded.
	Frozen *Freeze `json:"frozen,omitempty"`
	// Emergency is set on an out-of-cycle emergency change.
	Emergency *Emergency `json:"emergency,omitempty"`

	// Version is the store record's version (not serialised).
	Version int64 `json:"-"`
}

// Halt records why a cycle stopped.
type Halt struct {
	By     string    `json:"by"` // a user, or "patchgate" for a failure
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// Scope counts the hosts in the cycle.
type Scope struct {
	Hosts     int            `json:"hosts"`
	Unmanaged int            `json:"unmanaged"`
	Excluded  int            `json:"excluded"`
	ByCloud   map[Cloud]int  `json:"by_cloud,omitempty"`
	ByEnv     map[string]int `json:"by_env,omitempty"`
}

// Stage is one step of the pipeline. Its policy fields are copied from the
// configuration when the cycle starts, so the audit trail shows the rules the
// cycle ran under; approver identities stay live (see Policy).
type Stage struct {
	Name  string    `json:"name"`
	Kind  StageKind `json:"kind"`
	Env   string    `json:"env,omitempty"`
	Phase Phase     `json:"phase"`

	MinApprovals int           `json:"min_approvals,omitempty"`
	FourEyes     bool          `json:"four_eyes,omitempty"`
	Soak         time.Duration `json:"soak,omitempty"`
	HealthGate   bool          `json:"health_gate,omitempty"`
	SensorGate   bool          `json:"sensor_gate,omitempty"`
	// SensorExclude makes the sensor gate leave out the hosts whose sensor
	// would break (with the reason recorded) instead of blocking the stage.
	SensorExclude bool `json:"sensor_exclude,omitempty"`
	// Production and Staging copy the tier's EnvSpec flags, so every reader
	// of the record (engine, reports, chat) agrees on what the stage is.
	Production bool `json:"production,omitempty"`
	Staging    bool `json:"staging,omitempty"`
	// RequireChangeApproval holds the stage until the cycle's change
	// record is approved in the change platform (the tier's
	// require_change_approval).
	RequireChangeApproval bool `json:"require_change_approval,omitempty"`

	Approvals  []Approval `json:"approvals,omitempty"`
	Gates      []Gate     `json:"gates,omitempty"`
	Exclusions []Finding  `json:"exclusions,omitempty"`
	// ExclusionsBlob holds Exclusions when they are too many for the record.
	ExclusionsBlob *ResultsRef `json:"exclusions_blob,omitempty"`
	Attempt        int         `json:"attempt"` // grows with every retry, so a retried operation gets a new tag
	// Errors counts consecutive provider errors in the current phase; a
	// transient error is retried, a persistent one fails the stage.
	Errors    int    `json:"errors,omitempty"`
	LastError string `json:"last_error,omitempty"`

	Backup Op `json:"backup"`
	Patch  Op `json:"patch"`

	Started   time.Time `json:"started,omitempty"`
	SoakUntil time.Time `json:"soak_until,omitempty"`
	Done      time.Time `json:"done,omitempty"`
	Failure   *Failure  `json:"failure,omitempty"`
	Incident  Incident  `json:"incident"`

	// change governance: windows, freezes, expiry, emergency
	// Window is the stage's change window (the tenant's or the tier's
	// spec, see ParseWindow); empty lets it run at any time.
	Window       string        `json:"window,omitempty"`
	MinRemaining time.Duration `json:"min_remaining,omitempty"`
	// WindowWait is the opening the stage was last recorded waiting for.
	WindowWait time.Time `json:"window_wait,omitempty"`
	// WindowRuns are the stage's operations with the window occurrence
	// each started in: the evidence that it ran inside its window.
	WindowRuns []WindowRun `json:"window_runs,omitempty"`
	// ApprovalTTL is how long the stage waits for its approvals before the
	// cycle expires (0: forever); Reminded is when the half-time reminder
	// went out.
	ApprovalTTL time.Duration `json:"approval_ttl,omitempty"`
	Reminded    time.Time     `json:"reminded,omitzero"`
	// Emergency: the stage belongs to an emergency change and is approved
	// by its tier's emergency approvers. Waivers are the soak or window
	// its approvers waived, each with its justification.
	Emergency bool     `json:"emergency,omitempty"`
	Waivers   []Waiver `json:"waivers,omitempty"`
}

// Approval is one person's approval of a stage.
type Approval struct {
	By          string    `json:"by"`
	At          time.Time `json:"at"`
	Interaction string    `json:"interaction,omitempty"`
	Revision    int64     `json:"revision"`         // the message revision the approver saw
	Person      *Person   `json:"person,omitempty"` // the approver at decision time
}

// Gate is the outcome of one gate run.
type Gate struct {
	Name     string    `json:"name"` // inventory, sensors, health, backup, verify
	Passed   bool      `json:"passed"`
	At       time.Time `json:"at"`
	Summary  string    `json:"summary"`
	Findings []Finding `json:"findings,omitempty"`
	// FindingsBlob holds Findings when they are too many for the record
	// (see ResultsRef); Findings are read back from it with the cycle.
	FindingsBlob *ResultsRef `json:"findings_blob,omitempty"`
	Problems     []Problem   `json:"problems,omitempty"`
	// Sources are the systems that answered the gate (see Source*), so a
	// report says where each result came from.
	Sources []string `json:"sources,omitempty"`
}

// Op is a long-running provider operation. Handle is stored before it is
// polled, so a restarted engine polls the same operation; Tag is what the
// operation was labelled with, so a step that crashed between sending and
// storing the handle finds its own earlier request.
type Op struct {
	Tag    string `json:"tag,omitempty"`
	Handle string `json:"handle,omitempty"`
	// HandleBlob holds a handle too large for the record (an AWS command
	// over thousands of instances, Azure's per-machine operations) in its
	// own blob; Handle is then empty.
	HandleBlob BlobRef   `json:"handle_blob,omitzero"`
	Started    time.Time `json:"started,omitempty"`
	Total      int       `json:"total"`
	Succeeded  int       `json:"succeeded"`
	Failed     int       `json:"failed"`
	Done       bool      `json:"done"`
	// Made is what a backup made by kind, so evidence counts images and
	// snapshots rather than calling each one a host.
	Made Made `json:"made,omitzero"`
}

// Sent reports whether the operation was sent and its handle stored.
func (o Op) Sent() bool { return o.Handle != "" || !o.HandleBlob.IsZero() }

// Failure says why a stage stopped and which hosts were at fault.
type Failure struct {
	Phase    Phase     `json:"phase"` // the phase that failed; retry re-enters it
	At       time.Time `json:"at"`
	Reason   string    `json:"reason"`
	Findings []Finding `json:"findings,omitempty"`
	// FindingsBlob holds Findings when they are too many for the record.
	FindingsBlob *ResultsRef `json:"findings_blob,omitempty"`
}

// Incident tracks the one page a failed stage raises. The dedup key is fixed
// per cycle and stage, so retries and replicas re-use the same incident.
type Incident struct {
	Key          string `json:"key,omitempty"`
	Triggered    bool   `json:"triggered"`
	AckWanted    bool   `json:"ack_wanted,omitempty"`
	Acknowledged bool   `json:"acknowledged,omitempty"`
	Resolved     bool   `json:"resolved,omitempty"`
	// LastError is the pager's last failure (a page that could not be
	// sent), shown so an operator knows nobody was paged.
	LastError string `json:"last_error,omitempty"`
}

// Report is where the cycle's compliance report went.
type Report struct {
	Location string    `json:"location"`
	SHA256   string    `json:"sha256,omitempty"`
	At       time.Time `json:"at"`
	// Files are every file of the report (PDF, JSON, CSV, manifest) with
	// their hashes; the report event carries them into the audit log.
	Files []ArchivedFile `json:"files,omitempty"`
	// Compliance is the verdict the report reached, kept on the cycle so a
	// posture digest over many cycles reads the store, not the archive.
	Compliance *Compliance `json:"compliance,omitempty"`
}

// Compliance is a report's verdict: how many applicable criteria of the
// control mapping passed, and which had exceptions.
type Compliance struct {
	Mapping    string   `json:"mapping"` // control mapping version
	Passed     int      `json:"passed"`
	Applicable int      `json:"applicable"`
	Rate       float64  `json:"rate"`                 // Passed/Applicable, 1 when none applies
	Exceptions []string `json:"exceptions,omitempty"` // IDs of criteria with exceptions
}

// Stage returns the stage called name and its index, or -1.
func (c *Cycle) Stage(name string) (*Stage, int) {
	for i := range c.Stages {
		if c.Stages[i].Name == name {
			return &c.Stages[i], i
		}
	}
	return nil, -1
}

// lastDone is when the last stage finished (the cycle's end once all are
// done, the same time its report was given), or fallback when none has.
func (c *Cycle) lastDone(fallback time.Time) time.Time {
	var last time.Time
	for _, s := range c.Stages {
		if s.Done.After(last) {
			last = s.Done
		}
	}
	if last.IsZero() {
		return fallback
	}
	return last
}

// Current returns the first stage that is not done, or -1 when all are.
func (c *Cycle) Current() int {
	for i := range c.Stages {
		if c.Stages[i].Phase != PhaseDone {
			return i
		}
	}
	return -1
}

// ApprovedBy reports whether user already approved the stage.
func (s *Stage) ApprovedBy(user string) bool {
	for _, a := range s.Approvals {
		if a.By == user {
			return true
		}
	}
	return false
}

// Excluded reports whether host was excluded from the stage.
func (s *Stage) Excluded(hostID string) bool {
	for _, f := range s.Exclusions {
		if f.HostID == hostID {
			return true
		}
	}
	return false
}

// Clone returns a deep-enough copy for copy-on-write updates: slices the
// engine appends to or edits in place are copied.
func (c *Cycle) Clone() *Cycle {
	n := *c
	n.Stages = make([]Stage, len(c.Stages))
	for i, s := range c.Stages {
		s.Approvals = append([]Approval(nil), s.Approvals...)
		s.Gates = append([]Gate(nil), s.Gates...)
		s.Exclusions = append([]Finding(nil), s.Exclusions...)
		s.WindowRuns = append([]WindowRun(nil), s.WindowRuns...)
		s.Waivers = append([]Waiver(nil), s.Waivers...)
		if s.Failure != nil {
			f := *s.Failure
			s.Failure = &f
		}
		n.Stages[i] = s
	}
	n.Outbox = append([]Event(nil), c.Outbox...)
	n.Interactions = append([]string(nil), c.Interactions...)
	if c.Halt != nil {
		h := *c.Halt
		n.Halt = &h
	}
	if c.Change != nil {
		r := *c.Change
		r.States = append([]string(nil), c.Change.States...)
		n.Change = &r
	}
	return &n
}
