package config

import (
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	gcpsettings "github.com/patchgate/patchgate/providers/gcp/settings"
)

// GCP configures the Google Cloud provider: Compute Engine inventory and
// snapshots, OS Config inventories and patch jobs. When the section is
// present, the tenants' gcp targets are served by Google Cloud instead of
// the simulation; an empty mapping (gcp: {}) is enough on a pod with
// workload identity, as credentials then come from Application Default
// Credentials.
type GCP struct {
	Configured bool // the section is present (and not null)
	// CredentialsFile is an absolute path to a credentials JSON file; empty
	// uses Application Default Credentials.
	CredentialsFile string
	CredentialsType string // service_account (default), external_account, authorized_user, impersonated_service_account
	// ComputeEndpoint and OSConfigEndpoint override Google's public
	// endpoints (Private Service Connect, or a test server).
	ComputeEndpoint  string
	OSConfigEndpoint string
	// InventoryMaxAge is how old an OS Config inventory report may be
	// before the VM's agent counts as offline.
	InventoryMaxAge time.Duration
	Patch           GCPPatch
	Quota           GCPQuota
}

// GCPPatch shapes every OS Config patch job.
type GCPPatch struct {
	RolloutMode             string // zone_by_zone (default) or concurrent_zones
	DisruptionBudgetPercent int    // share of a zone's VMs patched at once
	RebootConfig            string // default, always or never
	Duration                time.Duration
	PreStep, PostStep       GCPStep
}

// GCPStep names scripts already on the VMs, run before or after patching.
type GCPStep struct {
	Linux   string // absolute path, run with a shell
	Windows string // absolute path (C:\...), run with PowerShell
}

// GCPQuota bounds OS Config API calls per minute.
type GCPQuota struct {
	ReadsPerMinute  int
	WritesPerMinute int
}

// GCP defaults: see defaults.go.
func gcpDefaults() GCP {
	def := gcpsettings.Defaults()
	return GCP{CredentialsType: def.CredentialsType, InventoryMaxAge: def.InventoryMaxAge,
		Patch: GCPPatch{RolloutMode: strings.ToLower(def.Patch.RolloutMode), DisruptionBudgetPercent: def.Patch.DisruptionBudgetPercent,
			RebootConfig: strings.ToLower(def.Patch.RebootConfig), Duration: def.Patch.Duration},
		Quota: GCPQuota{ReadsPerMinute: def.ReadsPerMinute, WritesPerMinute: def.WritesPerMinute}}
}

func (d *decoder) gcp(g *GCP) func(*yaml.Node, string) {
	step := func(s *GCPStep) func(*yaml.Node, string) {
		return d.section(field{"linux", "Absolute path, run with a shell.", d.str(&s.Linux)}, field{"windows", "Absolute path (`C:\\…`), run with PowerShell.", d.str(&s.Windows)})
	}
	sec := d.section(
		field{"credentials_file", "Absolute path to a credentials JSON file; empty uses Application Default Credentials (workload identity).", d.str(&g.CredentialsFile)},
		field{"credentials_type", "`service_account`, `external_account`, `authorized_user` or `impersonated_service_account`.", d.str(&g.CredentialsType)},
		field{"compute_endpoint", "Overrides Compute Engine's public endpoint (Private Service Connect).", d.str(&g.ComputeEndpoint)},
		field{"osconfig_endpoint", "Overrides OS Config's public endpoint.", d.str(&g.OSConfigEndpoint)},
		field{"inventory_max_age", "How old a VM's OS Config inventory may be before its agent counts as offline.", d.duration(&g.InventoryMaxAge, "h")},
		field{"patch", "Shape of every OS Config patch job.", d.section(
			field{"rollout_mode", "`zone_by_zone` or `concurrent_zones`.", d.str(&g.Patch.RolloutMode)},
			field{"disruption_budget_percent", "Share of a zone's VMs patched at once.", d.integer(&g.Patch.DisruptionBudgetPercent)},
			field{"reboot_config", "`default`, `always` or `never`.", d.str(&g.Patch.RebootConfig)},
			field{"duration", "How long a patch job may run.", d.duration(&g.Patch.Duration, "m")},
			field{"pre_step", "Scripts already on the VMs, run before patching.", step(&g.Patch.PreStep)},
			field{"post_step", "Scripts already on the VMs, run after patching.", step(&g.Patch.PostStep)},
		)},
		field{"quota", "Bounds on OS Config API calls.", d.section(
			field{"reads_per_minute", "Read calls per minute.", d.integer(&g.Quota.ReadsPerMinute)},
			field{"writes_per_minute", "Write calls per minute.", d.integer(&g.Quota.WritesPerMinute)},
		)},
	)
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		g.Configured = true
		sec(v, path)
	}
}
