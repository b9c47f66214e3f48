package terraform

import "time"

// Workspace is one Terraform root module to check, with the inputs its plan
// needs. Tenant and Account are carried through so a digest can group drift.
type Workspace struct {
	Name          string
	Tenant        string
	Account       string
	Dir           string
	Vars          map[string]string
	VarFiles      []string
	BackendConfig map[string]string
}

// Status is the outcome of checking one workspace.
type Status string

const (
	StatusClean  Status = "clean"
	StatusDrift  Status = "drift"
	StatusFailed Status = "failed"
)

// Result is what checking one workspace found. A workspace whose check did not
// complete is always StatusFailed with Error set, never clean.
type Result struct {
	Workspace Workspace
	Status    Status
	// Error is the failure text, with credential-looking values removed.
	Error string
	// Drift lists resource_drift: objects changed outside Terraform.
	Drift []Change
	// Changes lists planned resource_changes, only with Options.IncludeChanges.
	Changes []Change
	// Outputs names root outputs whose values the refresh changes; a
	// refresh-only plan can exit 2 for these alone.
	Outputs  []string
	Duration time.Duration
}

// Action is the single word a report shows for a change's action list.
type Action string

const (
	ActionCreate  Action = "create"
	ActionUpdate  Action = "update"
	ActionDelete  Action = "delete"
	ActionReplace Action = "replace"
	ActionRead    Action = "read"
	ActionNoOp    Action = "no-op"
)

// Change is one resource that drifted or is planned to change.
type Change struct {
	Address string
	Type    string
	Action  Action
	// Paths are the changed attribute paths, e.g. "tags.Owner" or
	// "ingress[0].cidr_blocks[1]", sorted. Empty when the whole object is
	// created or deleted.
	Paths []string
	// Values is set only when values were asked for (ParseOptions.IncludeValues).
	Values []PathValue `json:",omitempty"`
}

// PathValue is the before and after value at one changed path. Sensitive
// values are replaced by Masked.
type PathValue struct {
	Path      string
	Before    any
	After     any
	Sensitive bool
}

// Masked stands in for any sensitive value.
const Masked = "(sensitive)"
