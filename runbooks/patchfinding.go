package runbooks

import (
	"context"
	"time"
)

// Patch states of a PatchFinding, the same words on every cloud.
const (
	PatchMissing       = "missing"
	PatchInstalled     = "installed"
	PatchFailed        = "failed"
	PatchPendingReboot = "pending-reboot"
)

// Normalised patch severities (SSM's Critical/Important/Moderate/Low, Azure's
// classifications and OS Config's CVSS ratings map onto these).
const (
	PatchCritical = "critical"
	PatchHigh     = "high"
	PatchMedium   = "medium"
	PatchLow      = "low"
	PatchUnrated  = "unrated"
)

// PatchFinding is one patch on one host as its cloud's patch agent reports
// it, normalised across clouds so one SLA policy reads them all.
type PatchFinding struct {
	HostID   string `json:"host"`
	HostName string `json:"name,omitempty"`
	Tenant   string `json:"tenant,omitempty"`
	Env      string `json:"env,omitempty"`
	// PatchID is the vendor's ID of the patch: a KB number, an advisory or
	// a package name.
	PatchID string `json:"patch"`
	Title   string `json:"title,omitempty"`
	// Severity is normalised (PatchCritical…PatchUnrated); VendorSeverity
	// is the word the vendor used.
	Severity       string   `json:"severity"`
	VendorSeverity string   `json:"vendor_severity,omitempty"`
	Classification string   `json:"classification,omitempty"`
	CVEs           []string `json:"cves,omitempty"`
	// Released is the vendor's release (publication) date; zero when the
	// source does not say, and the SLA clock then starts when patchgate
	// first saw the patch missing.
	Released time.Time `json:"released,omitzero"`
	State    string    `json:"state"`
	// Source is the API that reported it (aws-ssm DescribeInstancePatches,
	// azure assessPatches, gcp-osconfig vulnerabilityReports, simulation).
	Source string `json:"source"`
}

// PatchFindings reads the patches hosts lack: missing, failed and installed
// but waiting for a reboot (installed patches need not be returned). Hosts
// are one tenant's environment as Inventory listed them; a provider reads
// only the hosts of its own cloud and stays within its call bounds.
type PatchFindings interface {
	PatchFindings(ctx context.Context, hosts []Host) ([]PatchFinding, error)
}

// PatchFindingsEach is a PatchFindings that hands its findings over a few
// hosts at a time, so a scan of a large fleet holds one part, not all of
// them. Each call of each carries every finding of the hosts it names (a
// host's findings never span two calls); calls are never concurrent. An
// error from each stops the read and is returned.
type PatchFindingsEach interface {
	PatchFindings
	EachPatchFindings(ctx context.Context, hosts []Host, each func([]PatchFinding) error) error
}
