package runbooks

import (
	"context"
	"time"

	"github.com/patchgate/patchgate/state"
)

// The interfaces below are what the engine consumes; providers, the chat
// adapter and the reporter implement them. Each holds only the calls the
// engine makes.

// Clock tells the time; tests pass a fake so soaks and schedules need no sleep.
type Clock interface{ Now() time.Time }

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

func (f ClockFunc) Now() time.Time { return f() }

// SystemClock is the wall clock.
var SystemClock Clock = ClockFunc(time.Now)

// Inventory lists the hosts of one environment of a tenant: every instance
// the cloud knows, each marked Managed only if the patch agent knows it and
// is online, so a host missing from the agent's view is reported, not skipped.
type Inventory interface {
	Hosts(ctx context.Context, tenant Tenant, env Environment) ([]Host, error)
}

// Sensors checks the EDR sensor against the kernel a patch would install
// (before) and that it is online and fully functional (after).
type Sensors interface {
	PrePatch(ctx context.Context, hosts []Host) ([]Finding, error)
	PostPatch(ctx context.Context, hosts []Host) ([]Finding, error)
}

// OpRequest describes one long-running operation on a set of hosts. Tag is
// unique per cycle, stage and attempt; providers label what they create with
// it so Find* can recover an operation whose handle was never stored.
type OpRequest struct {
	Tag    string `json:"tag"`
	Cycle  string `json:"cycle"`
	Tenant string `json:"tenant"`
	Stage  string `json:"stage"`
	Env    string `json:"env"`
	Hosts  []Host `json:"hosts"`
}

// OpStatus is a poll of a long-running operation.
type OpStatus struct {
	Done      bool
	Total     int
	Succeeded int
	Failed    int
	Findings  []Finding // hosts that failed and why
	// Made counts the backups that succeeded by kind (backups only).
	Made Made
}

// Backups takes pre-patch backups (images, snapshots).
type Backups interface {
	StartBackup(ctx context.Context, req OpRequest) (handle string, err error)
	FindBackup(ctx context.Context, req OpRequest) (handle string, found bool, err error)
	BackupStatus(ctx context.Context, handle string) (OpStatus, error)
}

// Restorer returns hosts to their pre-patch backups, keeping each
// machine's identity (see restore.go for the request and status).
type Restorer interface {
	// PrePatchBackups lists, per host, what a backup handle of a cycle made.
	PrePatchBackups(ctx context.Context, backupHandle string) ([]HostBackup, error)
	// FindRestore finds a restore an earlier, interrupted step sent with
	// req.Tag; StartRestore sends its first step. Both answer where the
	// restore stands now.
	FindRestore(ctx context.Context, req RestoreRequest) (RestoreStatus, bool, error)
	StartRestore(ctx context.Context, req RestoreRequest) (RestoreStatus, error)
	// PollRestore looks at the step handle names and, once it is done,
	// sends the next one, answering its handle.
	PollRestore(ctx context.Context, req RestoreRequest, handle string) (RestoreStatus, error)
}

// Patcher installs patches and verifies them.
type Patcher interface {
	StartPatch(ctx context.Context, req OpRequest) (handle string, err error)
	FindPatch(ctx context.Context, req OpRequest) (handle string, found bool, err error)
	PatchStatus(ctx context.Context, handle string) (OpStatus, error)
	// VerifyPatch returns hosts still missing patches or in a failed state.
	VerifyPatch(ctx context.Context, req OpRequest) ([]Finding, error)
}

// Health reports open problems in a tenant's environment.
type Health interface {
	Problems(ctx context.Context, tenant, env string) ([]Problem, error)
}

// Incident severities.
const (
	SeverityCritical = "critical"
	SeverityError    = "error"
	SeverityWarning  = "warning"
)

// Page is what the engine asks a pager to open.
type Page struct {
	DedupKey string
	Summary  string
	Severity string
	Details  map[string]string
}

// Pager opens, acknowledges and resolves incidents; all three are idempotent
// per dedup key.
type Pager interface {
	Trigger(ctx context.Context, p Page) error
	Acknowledge(ctx context.Context, dedupKey string) error
	Resolve(ctx context.Context, dedupKey string) error
}

// Chat shows a cycle to people. It is called with the cycle as it now is and
// the events since the last call; delivery is at least once (an event may be
// handed over again after a crash), so an adapter de-duplicates on
// (cycle, event Seq).
type Chat interface {
	CycleChanged(ctx context.Context, c *Cycle, events []Event) error
}

// ReportInput is everything a compliance report is made from: the cycle,
// its whole audit trail and refused decisions, the hosts preflight found,
// and the head of the audit chain the report vouches for.
type ReportInput struct {
	Cycle    *Cycle
	Events   []Event
	Refusals []Event
	// Hosts is the inventory taken again when the report is made, so it
	// shows what patching left behind; HostsBefore is preflight's.
	Hosts        []Host
	HostsBefore  []Host
	AuditEntries int64
	AuditHead    string // hash of the last audit entry
	// AuditLog is the cycle's audit stream entry by entry, as hashed, so a
	// bundle re-hashes offline to Checkpoint's head.
	AuditLog []state.Entry
	// Checkpoint is the signed, anchored checkpoint of the audit stream at
	// AuditEntries (nil without a Notary).
	Checkpoint []byte
	// Access is who could reach the tenant's accounts at report time; nil
	// with AccessError set when it could not be read.
	Access      *AccessReport
	AccessError string
	// Rollbacks are the rollbacks to this cycle's pre-patch backups, open
	// or finished, for the report's rollback section.
	Rollbacks []*Rollback
	// Preventions are the tenant's Detection → Prevention rollouts, open
	// and finished, for the EDR mode evidence (CC6.8, PCI DSS 5.3).
	Preventions []*Prevention
}

// Reporter produces the cycle's compliance report. Calling it twice for one
// cycle must yield one report.
type Reporter interface {
	Report(ctx context.Context, in ReportInput) (Report, error)
}

// Directory resolves chat user groups to member user IDs, and a user ID
// to the person behind it (display name and email) for the evidence.
type Directory interface {
	GroupMembers(ctx context.Context, group string) ([]string, error)
	Person(ctx context.Context, id string) (Person, error)
}

// ChangeEvent is a record of a production change window for the incident
// tool (PagerDuty change events), so responders see "patching started" next
// to any alert it causes.
type ChangeEvent struct {
	Summary string
	At      time.Time
	Details map[string]string
}

// Changes receives change events. It is optional; a failure to deliver one
// never blocks the cycle.
type Changes interface {
	Change(ctx context.Context, ev ChangeEvent) error
}

// AccessGrant is one principal's standing access to one account, as the
// identity provider had it when the report was made (SOC 2 CC6.1).
type AccessGrant struct {
	Cloud         Cloud  `json:"cloud"`
	Account       string `json:"account"`
	Principal     string `json:"principal"`      // user name or group display name
	PrincipalType string `json:"principal_type"` // USER or GROUP
	PermissionSet string `json:"permission_set"` // permission set, role definition or IAM role
	Source        string `json:"source"`         // e.g. aws-identity-center, simulation
}

// Executor is the identity patchgate itself acted as in one account (the
// assumed role), so the report names who executed each step.
type Executor struct {
	Cloud     Cloud  `json:"cloud"`
	Account   string `json:"account"`
	Principal string `json:"principal"` // e.g. arn:aws:sts::123:assumed-role/patchgate/…
	Source    string `json:"source,omitempty"`
}

// AccessReport is the access picture of a tenant's accounts at one time.
type AccessReport struct {
	At        time.Time     `json:"at"`
	Grants    []AccessGrant `json:"grants"`
	Executors []Executor    `json:"executors"`
}

// Access reads who can reach a tenant's accounts. It is optional; when it is
// absent or fails, the report says so and marks CC6.1 as an exception
// instead of holding the cycle.
type Access interface {
	AccessReport(ctx context.Context, tenant Tenant) (AccessReport, error)
}

// ArchivedFile is one report file as the archive keeps it.
type ArchivedFile struct {
	Name     string `json:"name"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
	Location string `json:"location"`      // s3://bucket/key or a local path
	URL      string `json:"url,omitempty"` // presigned link, when the archive gives one
}

// Archive keeps report files for the retention period (S3 or a local
// directory). Put of the same name twice must keep one object.
type Archive interface {
	Put(ctx context.Context, name string, data []byte, contentType string) (ArchivedFile, error)
}
