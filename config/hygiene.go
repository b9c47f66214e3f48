package config

import "time"

// SAML configures the daily SAML certificate check: where identity-provider
// metadata is read from and how far ahead of expiry to warn and to page.
type SAML struct {
	WarnDays int // post a runbook below this many days (default 60)
	PageDays int // also page below this many days (default 14)
	// FetchTimeout bounds one metadata URL fetch (default 30s).
	FetchTimeout time.Duration
	Sources      []SAMLSource
}

// SAMLSource is one metadata document: a URL or a file, never both.
type SAMLSource struct {
	Name        string
	Kind        string // SAMLKinds: which rotation procedure applies
	URL         string
	File        string
	Integration string // what signs in through it, shown on the runbook
}

// SAMLKinds are the provider kinds a source may name; "entra" is accepted
// for "entra-id".
var SAMLKinds = []string{"aws-iam", "okta", "entra-id", "entra", "adfs", "generic"}

// Drift configures the morning Terraform drift report.
type Drift struct {
	Workspaces []DriftWorkspace
	// Concurrency bounds how many workspaces are checked at once (default 4).
	Concurrency int
	// IncludePlannedChanges also lists the plan's resource_changes.
	IncludePlannedChanges bool
	// Timeout bounds one workspace's init+plan+show (default 10m).
	Timeout time.Duration
	// TerraformPath is the terraform binary (default "terraform" on PATH).
	TerraformPath string
	// Approvers and Groups may Ratify or Remediate a drift item. Unset, the
	// last pipeline tier's (production's) approvers and groups may.
	Approvers []string
	Groups    []string
}

// DriftWorkspace is one Terraform root module to check.
type DriftWorkspace struct {
	Name          string
	Tenant        string
	Account       string
	Dir           string
	Vars          map[string]string
	BackendConfig map[string]string
	// PlanJSON reads a recorded `terraform show -json` plan (e.g. a CI
	// artifact) instead of running terraform in Dir.
	PlanJSON string
}
