package runbooks

import (
	"slices"
	"strings"
	"time"
)

// Remediation is one event-driven remediation runbook: instances of one
// tenant's environment that AWS Config found non-compliant within one
// debounce window, patched out of cycle once the environment's approvers
// agree, through the same gates as a cycle, and resolved when Config says
// the instances are compliant again. It is a record of its own kind on the
// one engine (see kinds.go).
type Remediation struct {
	ID     string            `json:"id"`
	Tenant string            `json:"tenant"`
	Env    string            `json:"env"`
	Status RemediationStatus `json:"status"`
	// Created opens the debounce window; events until WindowEnd join this
	// remediation (one card per tenant and environment per window).
	Created   time.Time `json:"created"`
	WindowEnd time.Time `json:"window_end"`

	// The environment's approval policy and change window, copied when the
	// remediation opens so the evidence shows the rules it ran under.
	MinApprovals  int           `json:"min_approvals"`
	FourEyes      bool          `json:"four_eyes,omitempty"`
	Production    bool          `json:"production,omitempty"`
	AutoRemediate bool          `json:"auto_remediate,omitempty"`
	SensorGate    bool          `json:"sensor_gate,omitempty"`
	Window        string        `json:"window,omitempty"`
	MinRemaining  time.Duration `json:"min_remaining,omitempty"`
	Approvals     []Approval    `json:"approvals,omitempty"`
	Approved      time.Time     `json:"approved,omitzero"`
	// Held is the freeze or window opening the remediation was last
	// recorded waiting for, so each wait is recorded once.
	Held string `json:"held,omitempty"`

	// Format is RemFormatBlob for a remediation whose gathered instances
	// live in a blob (remediation_instances.go), RemFormatEntries for one
	// whose window collects instance entries but gathers them inline
	// (remediation_window.go); 0 for records written before, which hold
	// their instances and event IDs inline.
	Format int `json:"format,omitempty"`
	// Sealed: the window ended and takes no more entries; Gathered: the
	// entries are read into Instances (into InstancesBlob from RemFormatBlob).
	Sealed   bool `json:"sealed,omitempty"`
	Gathered bool `json:"gathered,omitempty"`
	// Instances are inline in records before RemFormatBlob; from it they
	// are only in memory, once loaded (Engine.RemediationInstances), and
	// the record keeps InstancesBlob: their blob and a summary.
	Instances     []RemediationInstance `json:"instances"`
	InstancesBlob *InstancesRef         `json:"instances_blob,omitempty"`
	// Evidence are the instances blobs audit events name by digest: kept
	// when a write replaces them and after the archive, so the chain's
	// digests always name bytes that are there.
	Evidence []BlobRef `json:"evidence,omitempty"`
	// whole says Instances holds every instance of a blob record (read
	// from the blob or gathered); loadedFrom is the blob they were read
	// from, deleted once a write replaces it.
	whole      bool
	loadedFrom BlobRef
	// EventIDs are the compliance events merged into a format-0 record;
	// later records leave each event to its claim key.
	EventIDs []string `json:"event_ids,omitempty"`

	Gates   []Gate `json:"gates,omitempty"`
	Backup  Op     `json:"backup"`
	Patch   Op     `json:"patch"`
	Attempt int    `json:"attempt"`
	// Evaluation is the AWS Config re-evaluation after patching.
	EvalStarted time.Time `json:"eval_started,omitzero"`
	EvalChecked time.Time `json:"eval_checked,omitzero"`
	// EvalDeadline ends the wait for COMPLIANT (compliance_timeout);
	// EvalPoll is how often Config is read meanwhile.
	EvalDeadline time.Time     `json:"eval_deadline,omitzero"`
	EvalPoll     time.Duration `json:"eval_poll,omitempty"`
	EvalSource   string        `json:"eval_source,omitempty"`

	Errors    int       `json:"errors,omitempty"`
	LastError string    `json:"last_error,omitempty"`
	Failure   *Failure  `json:"failure,omitempty"`
	Incident  Incident  `json:"incident"`
	Dismissal string    `json:"dismissal,omitempty"` // the reason given
	Ended     time.Time `json:"ended,omitzero"`

	Journal
}

// RemediationInstance is one non-compliant instance and what Config said.
type RemediationInstance struct {
	Host Host `json:"host"` // ID, account and region from the event; the rest from inventory
	// Rules are the Config rules that found it non-compliant.
	Rules []string `json:"rules"`
	// Since is when it was first reported non-compliant (the event time).
	Since time.Time `json:"since"`
	// Compliance is Config's latest verdict (NON_COMPLIANT until a
	// COMPLIANT is recorded), At when Config recorded it.
	Compliance string    `json:"compliance"`
	At         time.Time `json:"at,omitzero"`
	// CompliantSource names what reported COMPLIANT (an event or the
	// evaluation read back from Config).
	CompliantSource string `json:"compliant_source,omitempty"`
	// FirstEvent is the event that reported Since, Source the intake it
	// came through (entries format).
	FirstEvent string `json:"first_event,omitempty"`
	Source     string `json:"source,omitempty"`
}

// RemediationStatus is where a remediation stands.
type RemediationStatus string

const (
	RemCollecting       RemediationStatus = "collecting"        // the debounce window is open
	RemAwaitingApproval RemediationStatus = "awaiting_approval" // the card is posted
	RemApproved         RemediationStatus = "approved"          // waits for its change window or a freeze
	RemGates            RemediationStatus = "gates"             // inventory, sensors, backup
	RemPatching         RemediationStatus = "patching"
	RemVerifying        RemediationStatus = "verifying"
	RemEvaluating       RemediationStatus = "evaluating" // Config re-evaluates the instances
	RemFailed           RemediationStatus = "failed"     // waits for retry or dismissal
	RemResolved         RemediationStatus = "resolved"
	RemNotCompliant     RemediationStatus = "not_compliant" // Config did not say COMPLIANT in time
	RemUnverified       RemediationStatus = "unverified"    // patched; no Config evaluator to ask
	RemDismissed        RemediationStatus = "dismissed"
)

// Terminal reports whether nothing more will happen to the remediation.
func (s RemediationStatus) Terminal() bool {
	switch s {
	case RemResolved, RemNotCompliant, RemUnverified, RemDismissed:
		return true
	}
	return false
}

// Compliance verdicts of AWS Config.
const (
	Compliant    = "COMPLIANT"
	NonCompliant = "NON_COMPLIANT"
)

// Remediation decisions beside approve and retry.
const (
	// Dismiss closes a remediation without patching; a reason is required.
	Dismiss DecisionAction = "dismiss"
)

// Remediation audit event types.
const (
	EvRemediationOpened    = "remediation.opened"
	EvRemediationEvent     = "remediation.event"
	EvRemediationGathered  = "remediation.gathered" // the window's instances, by their blob's digest
	EvRemediationCard      = "remediation.card"
	EvRemediationAuto      = "remediation.auto_approved"
	EvRemediationDismissed = "remediation.dismissed"
	EvRemediationRetry     = "remediation.retry"
	EvRemediationFailed    = "remediation.failed"
	EvRemediationEvaluate  = "remediation.evaluation_started"
	EvRemediationResolved  = "remediation.resolved"
	EvRemediationNotComp   = "remediation.not_compliant"
	EvRemediationUnverify  = "remediation.unverified"
	EvComplianceRecorded   = "compliance.recorded"
)

// remediationIDPrefix starts every remediation ID (cycle IDs start with a
// lower-case tenant name).
const remediationIDPrefix = "RM-"

// IsRemediationID reports whether id names a remediation.
func IsRemediationID(id string) bool { return strings.HasPrefix(id, remediationIDPrefix) }

// RemediationAuditStream holds a remediation's events.
func RemediationAuditStream(id string) string { return "audit/remediation/" + id }

// ComplianceStream holds one compliance event of a tenant that joined no
// remediation (an instance reported COMPLIANT with none open); the
// tenant's are listed under ComplianceStreamPrefix.
func ComplianceStream(tenant, event string) string { return ComplianceStreamPrefix(tenant) + event }

// ComplianceStreamPrefix is the prefix of a tenant's compliance streams.
func ComplianceStreamPrefix(tenant string) string { return "audit/compliance/" + tenant + "/" }

func (r *Remediation) emit(now time.Time, host, typ, actor, detail string, data map[string]string) {
	r.Journal.emit(Event{At: now, Cycle: r.ID, Tenant: r.Tenant, Stage: host, Type: typ, Actor: actor, Detail: detail, Data: data})
}

func (r *Remediation) emitBy(now time.Time, host, typ string, who Person, detail string, data map[string]string) {
	r.emit(now, host, typ, who.ID, detail, data)
	r.Outbox[len(r.Outbox)-1].Person = &who
}

// hasEvent reports whether the compliance event id was merged in.
func (r *Remediation) hasEvent(id string) bool { return slices.Contains(r.EventIDs, id) }

// instance returns the instance with the given ID, or nil.
func (r *Remediation) instance(id string) *RemediationInstance {
	for i := range r.Instances {
		if r.Instances[i].Host.ID == id {
			return &r.Instances[i]
		}
	}
	return nil
}

// open reports whether events still join the remediation: until someone
// decides on it.
func (r *Remediation) open() bool {
	return (r.Status == RemCollecting || r.Status == RemAwaitingApproval) && len(r.Approvals) == 0
}

// ApprovedBy reports whether user already approved.
func (r *Remediation) ApprovedBy(user string) bool {
	return slices.ContainsFunc(r.Approvals, func(a Approval) bool { return a.By == user })
}

func (r *Remediation) evalDeadline() time.Time { return r.EvalDeadline }

func (r *Remediation) evalEvery() time.Duration {
	if r.EvalPoll <= 0 {
		return time.Minute
	}
	return r.EvalPoll
}

// Hosts are the remediation's instances as hosts.
func (r *Remediation) Hosts() []Host {
	out := make([]Host, len(r.Instances))
	for i, in := range r.Instances {
		out[i] = in.Host
	}
	return out
}

// Rules are the Config rules any instance is non-compliant with.
func (r *Remediation) Rules() []string {
	if !r.loaded() {
		return slices.Clone(r.InstancesBlob.Rules)
	}
	return instanceRules(r.Instances)
}

func instanceRules(ins []RemediationInstance) []string {
	var out []string
	for _, in := range ins {
		for _, rule := range in.Rules {
			if !slices.Contains(out, rule) {
				out = append(out, rule)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Since is when the longest-standing instance became non-compliant.
func (r *Remediation) Since() time.Time {
	if !r.loaded() {
		return r.InstancesBlob.Since
	}
	return instancesSince(r.Instances)
}

func instancesSince(ins []RemediationInstance) time.Time {
	var t time.Time
	for _, in := range ins {
		if t.IsZero() || in.Since.Before(t) {
			t = in.Since
		}
	}
	return t
}

// Clone copies what the engine edits in place.
func (r *Remediation) Clone() *Remediation {
	n := *r
	n.Approvals = slices.Clone(r.Approvals)
	n.Instances = make([]RemediationInstance, len(r.Instances))
	for i, in := range r.Instances {
		in.Rules = slices.Clone(in.Rules)
		n.Instances[i] = in
	}
	n.EventIDs = slices.Clone(r.EventIDs)
	n.Evidence = slices.Clone(r.Evidence)
	if r.InstancesBlob != nil {
		ref := *r.InstancesBlob
		n.InstancesBlob = &ref
	}
	n.Gates = slices.Clone(r.Gates)
	n.Journal = r.Journal.clone()
	if r.Failure != nil {
		f := *r.Failure
		n.Failure = &f
	}
	return &n
}
