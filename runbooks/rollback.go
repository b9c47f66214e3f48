package runbooks

import (
	"strings"
	"time"
)

// Rollback is one rollback runbook: hosts of one environment of a patch
// cycle returned to the pre-patch backups that cycle took. It is a record
// of its own kind on the one engine (see kinds.go): the same leases,
// fenced CAS writes, Decide, approval policy and audit chain as a cycle.
type Rollback struct {
	ID        string         `json:"id"`
	Tenant    string         `json:"tenant"`
	Cycle     string         `json:"cycle"` // the patch cycle whose backups are restored
	Env       string         `json:"env"`
	Requester string         `json:"requester"`
	Reason    string         `json:"reason,omitempty"`
	Created   time.Time      `json:"created"`
	Status    RollbackStatus `json:"status"`
	// RequestedBy is the requester as the directory knew them.
	RequestedBy *Person `json:"requested_by,omitempty"`

	// The environment's approval policy, copied when the rollback is
	// requested so the evidence shows the rules it ran under.
	MinApprovals int        `json:"min_approvals"`
	FourEyes     bool       `json:"four_eyes,omitempty"`
	Production   bool       `json:"production,omitempty"`
	Approvals    []Approval `json:"approvals,omitempty"`

	Hosts   []RollbackHost `json:"hosts"`
	Gates   []Gate         `json:"gates,omitempty"` // after the restore: agent, sensor, health
	Attempt int            `json:"attempt"`         // grows with every retry
	// Errors counts consecutive provider errors; MaxErrors in a row fail
	// the rollback.
	Errors    int       `json:"errors,omitempty"`
	LastError string    `json:"last_error,omitempty"`
	Failure   *Failure  `json:"failure,omitempty"`
	Incident  Incident  `json:"incident"`
	Restored  time.Time `json:"restored,omitempty"` // every restore finished
	// Marked says the cycle now lists the restored hosts as "rolled back,
	// patch pending" (excluded from its patch evidence with that reason).
	Marked bool      `json:"marked,omitempty"`
	Ended  time.Time `json:"ended,omitempty"`
	// Halt, set by a person, stops new restores from starting: restores
	// already running finish (a host is never left half-swapped) and are
	// reported, then the rollback waits halted for resume or reject.
	Halt *Halt `json:"halt,omitempty"`

	Journal
}

// RollbackStatus is where a rollback stands.
type RollbackStatus string

const (
	RollbackAwaitingApproval RollbackStatus = "awaiting_approval"
	RollbackRestoring        RollbackStatus = "restoring"
	RollbackVerifying        RollbackStatus = "verifying"
	RollbackFailed           RollbackStatus = "failed" // waits for retry or reject
	RollbackHalted           RollbackStatus = "halted" // by a person; waits for resume or reject
	RollbackCompleted        RollbackStatus = "completed"
	RollbackRejected         RollbackStatus = "rejected"
)

// Terminal reports whether nothing more will happen to the rollback.
func (s RollbackStatus) Terminal() bool { return s == RollbackCompleted || s == RollbackRejected }

// RollbackHost is one host (or database) and the backup it returns to.
type RollbackHost struct {
	Host    Host       `json:"host"`
	Backup  HostBackup `json:"backup"`
	Restore RestoreOp  `json:"restore"`
}

// RestoreOp is one host's restore. Handle is stored before it is polled;
// each step the provider moves to is recorded (Step, Handle) before the
// next poll, so a resumed engine polls where the restore really is, and
// Tag labels what the provider creates so a step that crashed before its
// handle was stored is found, never sent twice.
type RestoreOp struct {
	Tag     string    `json:"tag,omitempty"`
	Handle  string    `json:"handle,omitempty"`
	Step    string    `json:"step,omitempty"`
	Started time.Time `json:"started,omitempty"`
	Done    bool      `json:"done,omitempty"`
	At      time.Time `json:"at,omitempty"` // when it finished
	// Manual is the method of procedure a person follows where no API
	// restores in place (RDS endpoint moves, Arc servers); the host waits
	// until an approver confirms it done.
	Manual      []string `json:"manual,omitempty"`
	ConfirmedBy *Person  `json:"confirmed_by,omitempty"`
	Failed      string   `json:"failed,omitempty"` // why the provider gave up
	Source      string   `json:"source,omitempty"` // the system that restored it
}

// Sent reports whether the restore was sent and its handle stored.
func (o RestoreOp) Sent() bool { return o.Handle != "" }

// Backup kinds a host returns to.
const (
	BackupImage        = "image"         // AWS AMI (replace root volume)
	BackupDiskSnapshot = "disk-snapshot" // Azure managed-disk / GCP disk snapshot
	BackupDBSnapshot   = "db-snapshot"   // RDS: restored beside, never over
)

// HostBackup is the pre-patch backup of one host as the provider that
// took it describes it.
type HostBackup struct {
	HostID   string    `json:"host"`
	HostName string    `json:"name,omitempty"`
	Cloud    Cloud     `json:"cloud"`
	Kind     string    `json:"kind"` // image, disk-snapshot, db-snapshot
	ID       string    `json:"id"`   // AMI ID, snapshot ID or resource ID
	TakenAt  time.Time `json:"taken_at"`
	Cycle    string    `json:"cycle"` // the cycle that took it
	Tag      string    `json:"tag,omitempty"`
	Source   string    `json:"source,omitempty"`
	// Account and Region say where the backup lives (AWS account and
	// region, Azure subscription, GCP project), for the retention job's
	// delete; a rollback reaches the backup through its host instead.
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
}

// Rollback decisions beside the cycle's (approve, reject, retry).
const (
	// ConfirmManual records that a person finished a host's manual
	// procedure; Decision.Stage names the host.
	ConfirmManual DecisionAction = "confirm-manual"
)

// Rollback audit event types.
const (
	EvRollbackRequested = "rollback.requested"
	EvRollbackRefused   = "rollback.refused"
	EvRollbackRejected  = "rollback.rejected"
	EvRollbackRetry     = "rollback.retry"
	EvRollbackFailed    = "rollback.failed"
	EvRollbackCompleted = "rollback.completed"
	EvRestoreStarted    = "restore.started"
	EvRestoreStep       = "restore.step"
	EvRestoreManual     = "restore.manual"
	EvRestoreConfirmed  = "restore.confirmed"
	EvRestoreDone       = "restore.done"
	EvRestoresDone      = "restore.all_done"
	EvRollbackMarked    = "rollback.cycle_marked"
	EvRollbackHalting   = "rollback.halting"
	EvRollbackHalted    = "rollback.halted"
	EvRollbackResumed   = "rollback.resumed"
)

// rollbackIDPrefix starts every rollback ID. Cycle IDs start with a
// lower-case tenant name, so the prefix alone tells the kinds apart.
const rollbackIDPrefix = "RB-"

// IsRollbackID reports whether id names a rollback.
func IsRollbackID(id string) bool { return strings.HasPrefix(id, rollbackIDPrefix) }

// RollbackAuditStream holds a rollback's events.
func RollbackAuditStream(id string) string { return KindAuditStream("rollback", id) }

// emit adds an event to the rollback's outbox and moves its revision.
func (r *Rollback) emit(now time.Time, host, typ, actor, detail string, data map[string]string) {
	r.Journal.emit(Event{At: now, Cycle: r.ID, Tenant: r.Tenant,
		Stage: host, Type: typ, Actor: actor, Detail: detail, Data: data})
}

func (r *Rollback) emitBy(now time.Time, host, typ string, who Person, detail string, data map[string]string) {
	r.emit(now, host, typ, who.ID, detail, data)
	r.Outbox[len(r.Outbox)-1].Person = &who
}

func (r *Rollback) recordID() string { return r.ID }

// host returns the rollback host with the given ID, and its index.
func (r *Rollback) host(id string) (*RollbackHost, int) {
	for i := range r.Hosts {
		if r.Hosts[i].Host.ID == id || r.Hosts[i].Host.Name == id {
			return &r.Hosts[i], i
		}
	}
	return nil, -1
}

// ApprovedBy reports whether user already approved.
func (r *Rollback) ApprovedBy(user string) bool {
	for _, a := range r.Approvals {
		if a.By == user {
			return true
		}
	}
	return false
}

// Clone copies what the engine edits in place.
func (r *Rollback) Clone() *Rollback {
	n := *r
	n.Approvals = append([]Approval(nil), r.Approvals...)
	n.Hosts = make([]RollbackHost, len(r.Hosts))
	for i, h := range r.Hosts {
		h.Restore.Manual = append([]string(nil), h.Restore.Manual...)
		n.Hosts[i] = h
	}
	n.Gates = append([]Gate(nil), r.Gates...)
	n.Journal = r.Journal.clone()
	if r.Failure != nil {
		f := *r.Failure
		n.Failure = &f
	}
	if r.Halt != nil {
		h := *r.Halt
		n.Halt = &h
	}
	return &n
}

// PatchPending lists the hosts this rollback returned to their pre-patch
// state: in the cycle's evidence they are "rolled back, patch pending".
func (r *Rollback) PatchPending() []Finding {
	var out []Finding
	for _, h := range r.Hosts {
		if h.Restore.Done {
			out = append(out, Finding{HostID: h.Host.ID, HostName: h.Host.Name, Source: h.Restore.Source,
				Reason: "rolled back to " + h.Backup.ID + " by " + r.ID + "; patch pending"})
		}
	}
	return out
}
