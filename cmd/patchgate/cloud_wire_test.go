package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/runbooks"
)

// TestServeRoutesConfiguredCloudToItsProvider: with a providers.aws
// section, build (what serve runs) sends the tenant's AWS targets to AWS
// and keeps its Azure target on the simulation; preflight's one inventory
// holds both.
func TestServeRoutesConfiguredCloudToItsProvider(t *testing.T) {
	fake := awstest.NewServer(t)
	fake.Add(awstest.Instance{ID: "i-0aaa", Account: "111111111111", Name: "web-1", Tags: map[string]string{"tier": "web"},
		SSM: &awstest.Agent{PingStatus: "Online", PlatformName: "Ubuntu"}})
	t.Setenv("AWS_ACCESS_KEY_ID", "AKFAKEBOT")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	cfg, err := config.Parse("t.yaml", []byte(`store:
  bolt: {path: "`+filepath.Join(t.TempDir(), "state.db")+`"}
pipeline:
  - {env: nonprod, approvers: [U0ALICE001]}
  - {env: production, approvers: [U0ALICE001, U0BOB00002]}
tenants:
  - name: acme-cu
    environments:
      nonprod:
        targets:
          - {cloud: aws, account: "111111111111", regions: [us-east-1], selector: {tier: web}}
          - {cloud: azure, account: "22222222-2222-2222-2222-222222222222", groups: [rg-nonprod]}
      production:
        targets:
          - {cloud: azure, account: "22222222-2222-2222-2222-222222222222", groups: [rg-prod]}
providers:
  kind: sim
  sim: {hosts_per_target: 2}
  # Simulated answers for real hosts: this test exercises the cloud wiring only.
  simulate: [sensors, health, pager]
  aws:
    role_name: "arn:aws:iam::{account}:role/patchgate"
    accounts: [{id: "111111111111"}]
    endpoints: {ec2: "`+fake.URL+`", ssm: "`+fake.URL+`", sts: "`+fake.URL+`"}
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := build(ctx, cfg, wiring{log: slog.New(slog.DiscardHandler), reports: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.store.Close()
	c, err := a.engine.Start(ctx, "acme-cu", "U0REQUEST1")
	if err != nil {
		t.Fatal(err)
	}
	var hosts []runbooks.Host
	for i := 0; i < 20 && len(hosts) == 0; i++ {
		if err := a.engine.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if hosts, err = a.engine.Inventory(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	byCloud := map[runbooks.Cloud][]string{}
	for _, h := range hosts {
		byCloud[h.Cloud] = append(byCloud[h.Cloud], h.ID)
	}
	if got := byCloud[runbooks.AWS]; len(got) != 1 || got[0] != "i-0aaa" {
		t.Errorf("AWS hosts = %v, want the fake's i-0aaa only (no simulated AWS hosts)", got)
	}
	if got := byCloud[runbooks.Azure]; len(got) != 4 {
		t.Errorf("Azure hosts = %v, want the 4 simulated ones (2 per target)", got)
	}
	if fake.Calls("ec2.DescribeInstances") == 0 {
		t.Error("the AWS fake was never asked")
	}
}
