package sla

import (
	"slices"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// What an exception covers.
const (
	ScopeHost  = "host"  // every patch on one host
	ScopePatch = "patch" // one patch ID on every host of the tenant
	ScopeCVE   = "cve"   // every patch that fixes the CVE
)

// Exception states.
const (
	ExceptionPending  = "pending"  // requested, waiting for approvals
	ExceptionApproved = "approved" // in force until Until
	ExceptionRejected = "rejected"
	ExceptionLapsed   = "lapsed" // Until passed; audited when it was noticed
)

// Approval is one risk approver's acceptance.
type Approval struct {
	By runbooks.Person `json:"by"`
	At time.Time       `json:"at"`
}

// Exception is a risk acceptance: a tenant's host, patch or CVE is kept out
// of the SLA count until Until, for Reason, while Control (the compensating
// control) stands in for the patch. It takes effect when enough risk
// approvers other than the requester accepted it.
type Exception struct {
	ID          string          `json:"id"`
	Tenant      string          `json:"tenant"`
	Scope       string          `json:"scope"` // ScopeHost, ScopePatch, ScopeCVE
	Target      string          `json:"target"`
	Until       time.Time       `json:"until"`
	Reason      string          `json:"reason"`
	Control     string          `json:"control"`
	RequestedBy runbooks.Person `json:"requested_by"`
	RequestedAt time.Time       `json:"requested_at"`
	Approvals   []Approval      `json:"approvals,omitempty"`
	Status      string          `json:"status"`
	RejectedBy  string          `json:"rejected_by,omitempty"`
	// ClosedAt is when it was rejected or noticed lapsed.
	ClosedAt time.Time `json:"closed_at,omitzero"`
	// Reminded is the Until the expiry reminder was sent for, so a reminder
	// goes once per exception (and again if Until is extended).
	Reminded time.Time `json:"reminded,omitzero"`
}

// InForce reports whether the exception takes items out of the count at now.
func (e *Exception) InForce(now time.Time) bool {
	return e.Status == ExceptionApproved && now.Before(e.Until)
}

// Covers reports whether the exception names the finding.
func (e *Exception) Covers(f *runbooks.PatchFinding) bool {
	if e.Tenant != f.Tenant {
		return false
	}
	switch e.Scope {
	case ScopeHost:
		return e.Target == f.HostID || (f.HostName != "" && e.Target == f.HostName)
	case ScopePatch:
		return e.Target == f.PatchID
	case ScopeCVE:
		return slices.ContainsFunc(f.CVEs, func(c string) bool { return strings.EqualFold(c, e.Target) })
	}
	return false
}

// AcceptedBy names who accepted the risk, for the lists that show it.
func (e *Exception) AcceptedBy() string {
	names := make([]string, len(e.Approvals))
	for i, a := range e.Approvals {
		names[i] = a.By.Label()
	}
	return strings.Join(names, ", ")
}
