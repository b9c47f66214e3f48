package drift

import (
	"context"
	"time"
)

// Workspace is one Terraform root module to check.
type Workspace struct {
	Name          string
	Tenant        string
	Account       string
	Dir           string
	Vars          map[string]string
	BackendConfig map[string]string
	// PlanJSON is a recorded `terraform show -json` plan to read instead of
	// running terraform in Dir.
	PlanJSON string
}

// Status is the outcome of checking one workspace.
type Status string

// Workspace statuses.
const (
	StatusClean  Status = "clean"
	StatusDrift  Status = "drift"
	StatusFailed Status = "failed"
)

// Change is one resource that drifted (or, when asked, is planned to change).
type Change struct {
	Address string
	Type    string
	Action  string   // create, update, delete, replace, read
	Paths   []string // changed attribute paths; sensitive values never appear
}

// Result is what checking one workspace found. A check that did not finish
// is StatusFailed with Error set.
type Result struct {
	Workspace Workspace
	Status    Status
	Error     string
	Drift     []Change
	Changes   []Change // planned resource_changes, when asked for
	Outputs   []string // root outputs the refresh changes
}

// Checker checks workspaces, bounded in concurrency by the implementation,
// and returns one Result per workspace in the order given.
type Checker interface {
	Check(ctx context.Context, ws []Workspace) []Result
}

// Item kinds.
const (
	KindDrift   = "drift"   // changed outside Terraform
	KindPlanned = "planned" // a planned change (include_planned_changes)
)

// Decisions on a drift item.
const (
	Ratify    = "ratify"    // incorporate the change into Terraform code
	Remediate = "remediate" // revert the resource to what the code says
)

// Item states.
const (
	ItemOpen     = "open"
	ItemResolved = "resolved"
)

// Decision is who decided what about an item, and when.
type Decision struct {
	Kind string    `json:"kind"`
	By   string    `json:"by"`
	At   time.Time `json:"at"`
}

// Item is one drifted resource of one workspace, kept at "drift/item/<id>"
// from the first digest that lists it until its drift is gone.
type Item struct {
	ID         string    `json:"id"`
	Workspace  string    `json:"workspace"`
	Tenant     string    `json:"tenant"`
	Account    string    `json:"account,omitempty"`
	Kind       string    `json:"kind"`
	Address    string    `json:"address"`
	Type       string    `json:"type,omitempty"`
	Action     string    `json:"action"`
	Paths      []string  `json:"paths,omitempty"`
	Status     string    `json:"status"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	Decision   *Decision `json:"decision,omitempty"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
}

// Digest is one drift report: workspaces grouped by tenant and account.
type Digest struct {
	At     time.Time
	Groups []Group
	// Resolved are items whose drift disappeared in this run.
	Resolved []Item
}

// Group is one tenant/account's workspaces.
type Group struct {
	Tenant, Account string
	Workspaces      []WorkspaceReport
}

// WorkspaceReport is one workspace in a digest. Items are its open items;
// for a failed workspace they are the items known before the failure.
type WorkspaceReport struct {
	Name    string
	Status  Status
	Error   string
	Items   []Item
	Outputs []string
}

// Counts returns how many workspaces drifted and failed, and how many open
// items the digest lists.
func (d Digest) Counts() (drifted, failed, items int) {
	for _, g := range d.Groups {
		for _, w := range g.Workspaces {
			switch w.Status {
			case StatusDrift:
				drifted++
			case StatusFailed:
				failed++
			}
			items += len(w.Items)
		}
	}
	return drifted, failed, items
}
