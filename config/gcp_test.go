package config

import (
	"testing"
	"time"
)

func TestGCPSection(t *testing.T) {
	c, err := Parse("t.yaml", []byte(minimal+"providers: {simulate: [sensors, health, pager, access], gcp: {}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if g := c.Providers.GCP; !g.Configured || g.Patch.RolloutMode != "zone_by_zone" || g.Patch.DisruptionBudgetPercent != 25 ||
		g.Quota.ReadsPerMinute != 600 || g.Quota.WritesPerMinute != 60 || g.Patch.Duration != 2*time.Hour {
		t.Errorf("gcp: {} = %+v, want configured with the defaults", g)
	}
	c, err = Parse("t.yaml", []byte(minimal))
	if err != nil || c.Providers.GCP.Configured {
		t.Fatalf("no gcp section: configured = %v, err %v", c.Providers.GCP.Configured, err)
	}
	c, err = Parse("t.yaml", []byte(minimal+`
providers:
  simulate: [sensors, health, pager, access]
  gcp:
    credentials_file: /var/run/secrets/gcp/sa.json
    osconfig_endpoint: https://osconfig.p.googleapis.com/
    patch:
      rollout_mode: concurrent_zones
      disruption_budget_percent: 10
      reboot_config: never
      duration: 90m
      pre_step: {linux: /opt/pg/drain.sh, windows: 'C:\pg\drain.ps1'}
    quota: {reads_per_minute: 300, writes_per_minute: 10}
`))
	if err != nil {
		t.Fatal(err)
	}
	g := c.Providers.GCP
	if g.CredentialsFile != "/var/run/secrets/gcp/sa.json" || g.Patch.RolloutMode != "concurrent_zones" || g.Patch.Duration != 90*time.Minute ||
		g.Patch.PreStep.Windows != `C:\pg\drain.ps1` || g.Quota.WritesPerMinute != 10 || g.OSConfigEndpoint != "https://osconfig.p.googleapis.com/" {
		t.Errorf("gcp = %+v", g)
	}
}
