package main

import (
	"context"
	"testing"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/gcp/gcptest"
	"github.com/patchgate/patchgate/runbooks"
)

// TestGCPCloudFromConfig: a providers.gcp section with a credentials file
// yields working ports (endpoints written without a trailing slash); no
// section yields none.
func TestGCPCloudFromConfig(t *testing.T) {
	srv := gcptest.New(t)
	srv.AddInstance(gcptest.Instance{Project: "cascade-prod", Zone: "us-central1-a", Name: "web-1", OS: &gcptest.OSInfo{ShortName: "debian"}})
	srv.AddInstance(gcptest.Instance{Project: "cascade-prod", Zone: "us-central1-a", Name: "web-2"})
	yaml := `pipeline:
  - {env: nonprod, approvers: [U0ALICE001]}
  - {env: production, approvers: [U0ALICE001, U0BOB00002]}
tenants:
  - name: cascade-cu
    environments:
      production:
        targets: [{cloud: gcp, account: cascade-prod, regions: [us-central1]}]
providers:
  # Simulated answers for real hosts: this test exercises the cloud wiring only.
  simulate: [sensors, health, pager, access]
  gcp:
    credentials_file: ` + srv.ServiceAccountFile(t) + `
    compute_endpoint: ` + srv.URL + `/compute/v1
    osconfig_endpoint: ` + srv.URL + `
    patch: {rollout_mode: concurrent_zones, reboot_config: never}
`
	cfg, err := config.Parse("t.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	c, ok, err := gcpCloud(context.Background(), cfg, wiring{})
	if err != nil || !ok {
		t.Fatalf("gcpCloud = %v, %v", ok, err)
	}
	tn := cfg.Tenants()[0]
	env, _ := tn.Env("production")
	hosts, err := c.Inventory.Hosts(context.Background(), tn, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 2 || hosts[0].Managed == hosts[1].Managed || hosts[0].Cloud != runbooks.GCP {
		t.Fatalf("hosts = %+v, want web-1 managed and web-2 not", hosts)
	}
	if srv.Count("authenticated") == 0 {
		t.Error("no request carried the service account's token")
	}
	if c.Backups == nil || c.Patcher == nil {
		t.Error("backups or patcher missing")
	}

	cfg, err = config.Parse("t.yaml", []byte("pipeline:\n  - {env: nonprod, approvers: [U0ALICE001]}\n  - {env: production, approvers: [U0ALICE001, U0BOB00002]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := gcpCloud(context.Background(), cfg, wiring{}); ok || err != nil {
		t.Errorf("without a gcp section: ok %v, err %v", ok, err)
	}
}
