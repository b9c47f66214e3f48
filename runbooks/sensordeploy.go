package runbooks

import (
	"strings"
	"time"
)

// SensorDeploy is one sensor deployment runbook: the EDR (Falcon) sensor
// installed or upgraded on hosts of one environment of a tenant through
// each cloud's own agent (no SSH), in batches with a concurrency bound,
// then validated against the environment's expectations. It is a record of
// its own kind on the one engine (kinds.go): the same leases, fenced CAS
// writes, Decide, approval policy and audit chain as a cycle.
type SensorDeploy struct {
	ID          string             `json:"id"`
	Tenant      string             `json:"tenant"`
	Env         string             `json:"env"`
	Requester   string             `json:"requester"`
	RequestedBy *Person            `json:"requested_by,omitempty"`
	Reason      string             `json:"reason,omitempty"`
	Created     time.Time          `json:"created"`
	Status      SensorDeployStatus `json:"status"`

	// The environment's approval policy, copied at request time so the
	// evidence shows the rules the deployment ran under.
	MinApprovals int        `json:"min_approvals"`
	FourEyes     bool       `json:"four_eyes,omitempty"`
	Production   bool       `json:"production,omitempty"`
	Approvals    []Approval `json:"approvals,omitempty"`

	// Concurrency is how many batches run at once (copied from the
	// engine's settings at request time).
	Concurrency int           `json:"concurrency"`
	Hosts       []DeployHost  `json:"hosts"`
	Batches     []DeployBatch `json:"batches"`
	Attempt     int           `json:"attempt"` // grows with every retry

	// Installed is when every batch finished; validation then runs until
	// it passes or ValidateBy passes (a sensor takes minutes to register).
	Installed     time.Time     `json:"installed,omitempty"`
	ValidateAfter time.Time     `json:"validate_after,omitempty"`
	ValidateBy    time.Time     `json:"validate_by,omitempty"`
	Validation    []SensorCheck `json:"validation,omitempty"` // the last failed checks
	// ValidatedBy are the systems the last validation read.
	ValidatedBy []string `json:"validated_by,omitempty"`

	Errors    int      `json:"errors,omitempty"` // consecutive provider errors
	LastError string   `json:"last_error,omitempty"`
	Failure   *Failure `json:"failure,omitempty"`
	// Incident is the page a failure opened (edr_pages.go).
	Incident Incident  `json:"incident"`
	Ended    time.Time `json:"ended,omitempty"`

	Journal
}

// SensorDeployStatus is where a deployment stands.
type SensorDeployStatus string

const (
	DeployAwaitingApproval SensorDeployStatus = "awaiting_approval"
	DeployInstalling       SensorDeployStatus = "installing"
	DeployValidating       SensorDeployStatus = "validating"
	DeployFailed           SensorDeployStatus = "failed" // waits for retry or reject
	DeployCompleted        SensorDeployStatus = "completed"
	DeployRejected         SensorDeployStatus = "rejected"
)

// Terminal reports whether nothing more will happen to the deployment.
func (s SensorDeployStatus) Terminal() bool { return s == DeployCompleted || s == DeployRejected }

// Sensor actions on a host.
const (
	SensorInstall = "install" // no sensor registered
	SensorUpgrade = "upgrade" // outdated or in reduced-functionality mode
)

// DeployHost is one host of a deployment: why it was picked and what its
// batch's command reported for it.
type DeployHost struct {
	Host   Host   `json:"host"`
	Action string `json:"action"`        // install or upgrade
	Why    string `json:"why,omitempty"` // the coverage gap that picked it
	Batch  int    `json:"batch"`
	// Result is the installer's outcome for this host: "" (not yet),
	// "ok" or "failed" (Detail says why).
	Result string `json:"result,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// DeployBatch is one install command over some hosts of one cloud. Handle
// is stored before the batch is polled; Tag labels the provider's command
// so a step that crashed before storing the handle finds it instead of
// sending it again.
type DeployBatch struct {
	Cloud   Cloud     `json:"cloud"`
	Hosts   []string  `json:"hosts"` // host IDs
	Tag     string    `json:"tag,omitempty"`
	Handle  string    `json:"handle,omitempty"`
	Started time.Time `json:"started,omitempty"`
	Done    bool      `json:"done,omitempty"`
	At      time.Time `json:"at,omitempty"`
	Failed  int       `json:"failed,omitempty"` // hosts the installer failed on
	Source  string    `json:"source,omitempty"` // the system that ran the command
}

// Sent reports whether the batch's command was sent and its handle stored.
func (b DeployBatch) Sent() bool { return b.Handle != "" }

// Sensor deployment audit event types.
const (
	EvDeployRequested  = "sensor_deploy.requested"
	EvDeployRefused    = "sensor_deploy.refused"
	EvDeployRejected   = "sensor_deploy.rejected"
	EvDeployRetry      = "sensor_deploy.retry"
	EvDeployFailed     = "sensor_deploy.failed"
	EvDeployCompleted  = "sensor_deploy.completed"
	EvDeployBatchSent  = "sensor_deploy.batch_sent"
	EvDeployBatchDone  = "sensor_deploy.batch_done"
	EvDeployInstalled  = "sensor_deploy.installed"
	EvDeployValidation = "sensor_deploy.validation"
)

// sensorDeployIDPrefix starts every deployment ID; cycle IDs start with a
// lower-case tenant name, so the prefix alone tells the kinds apart.
const sensorDeployIDPrefix = "SD-"

// IsSensorDeployID reports whether id names a sensor deployment.
func IsSensorDeployID(id string) bool { return strings.HasPrefix(id, sensorDeployIDPrefix) }

func (d *SensorDeploy) recordID() string { return d.ID }

// note adds an event to the deployment's outbox.
func (d *SensorDeploy) note(now time.Time, host, typ, actor, detail string, data map[string]string) {
	d.emit(Event{At: now, Cycle: d.ID, Tenant: d.Tenant, Stage: host, Type: typ, Actor: actor, Detail: detail, Data: data})
}

func (d *SensorDeploy) noteBy(now time.Time, typ string, who Person, detail string, data map[string]string) {
	d.emit(Event{At: now, Cycle: d.ID, Tenant: d.Tenant, Type: typ, Actor: who.ID, Person: &who, Detail: detail, Data: data})
}

// ApprovedBy reports whether user already approved.
func (d *SensorDeploy) ApprovedBy(user string) bool {
	for _, a := range d.Approvals {
		if a.By == user {
			return true
		}
	}
	return false
}

// host returns the deployment's host with ID id.
func (d *SensorDeploy) host(id string) *DeployHost {
	for i := range d.Hosts {
		if d.Hosts[i].Host.ID == id {
			return &d.Hosts[i]
		}
	}
	return nil
}

// Clone copies what the engine edits in place.
func (d *SensorDeploy) Clone() *SensorDeploy {
	n := *d
	n.Journal = d.Journal.clone()
	n.Approvals = append([]Approval(nil), d.Approvals...)
	n.Hosts = append([]DeployHost(nil), d.Hosts...)
	n.Batches = make([]DeployBatch, len(d.Batches))
	for i, b := range d.Batches {
		b.Hosts = append([]string(nil), b.Hosts...)
		n.Batches[i] = b
	}
	n.Validation = append([]SensorCheck(nil), d.Validation...)
	n.ValidatedBy = append([]string(nil), d.ValidatedBy...)
	if d.Failure != nil {
		f := *d.Failure
		n.Failure = &f
	}
	return &n
}

// Running counts the batches sent and not finished.
func (d *SensorDeploy) Running() int {
	n := 0
	for _, b := range d.Batches {
		if b.Sent() && !b.Done {
			n++
		}
	}
	return n
}
