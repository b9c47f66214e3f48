package config

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	gcpsettings "github.com/patchgate/patchgate/providers/gcp/settings"
)

var (
	gcpCredentialTypes = gcpsettings.CredentialTypes
	gcpRolloutModes    = lower(gcpsettings.RolloutModes)
	gcpRebootConfigs   = lower(gcpsettings.RebootConfigs)
	windowsPath        = regexp.MustCompile(`^[A-Za-z]:\\`)
)

// checkGCP validates the gcp section. The values are checked even when the
// section is absent (they are the defaults then), so nothing here can fail
// a file that does not mention GCP.
func (d *decoder) checkGCP(g *GCP) {
	const at = "providers.gcp."
	if g.CredentialsFile != "" && !filepath.IsAbs(g.CredentialsFile) {
		d.at(at+"credentials_file", "%q must be an absolute path", g.CredentialsFile)
	}
	if !slices.Contains(gcpCredentialTypes, g.CredentialsType) {
		d.at(at+"credentials_type", "unknown credentials type %q%s", g.CredentialsType, want(g.CredentialsType, gcpCredentialTypes...))
	}
	if g.ComputeEndpoint != "" {
		d.checkURL(at+"compute_endpoint", g.ComputeEndpoint)
	}
	if g.OSConfigEndpoint != "" {
		d.checkURL(at+"osconfig_endpoint", g.OSConfigEndpoint)
	}
	d.positive(at+"inventory_max_age", g.InventoryMaxAge)
	p := g.Patch
	if !slices.Contains(gcpRolloutModes, p.RolloutMode) {
		d.at(at+"patch.rollout_mode", "unknown rollout mode %q%s", p.RolloutMode, want(p.RolloutMode, gcpRolloutModes...))
	}
	if p.DisruptionBudgetPercent < 1 || p.DisruptionBudgetPercent > 100 {
		d.at(at+"patch.disruption_budget_percent", "must be 1 to 100, got %d", p.DisruptionBudgetPercent)
	}
	if !slices.Contains(gcpRebootConfigs, p.RebootConfig) {
		d.at(at+"patch.reboot_config", "unknown reboot config %q%s", p.RebootConfig, want(p.RebootConfig, gcpRebootConfigs...))
	}
	d.positive(at+"patch.duration", p.Duration)
	for _, st := range []struct {
		name string
		s    GCPStep
	}{{"pre_step", p.PreStep}, {"post_step", p.PostStep}} {
		name, s := st.name, st.s
		if s.Linux != "" && !strings.HasPrefix(s.Linux, "/") {
			d.at(at+"patch."+name+".linux", "%q must be an absolute path on the VMs", s.Linux)
		}
		if s.Windows != "" && !windowsPath.MatchString(s.Windows) {
			d.at(at+"patch."+name+".windows", "%q must be an absolute path on the VMs, e.g. C:\\patchgate\\drain.ps1", s.Windows)
		}
	}
	d.atLeast(at+"quota.reads_per_minute", g.Quota.ReadsPerMinute, 1)
	d.atLeast(at+"quota.writes_per_minute", g.Quota.WritesPerMinute, 1)
}

// lower spells OS Config's values as the configuration file does.
func lower(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.ToLower(v)
	}
	return out
}
