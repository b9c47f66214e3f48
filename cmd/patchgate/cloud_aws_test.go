package main

import (
	"context"
	"log/slog"
	"testing"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/runbooks"
)

// TestAWSCloudFromConfig: providers.aws builds a provider whose inventory
// reaches the configured endpoints through the assumed role; without the
// section there is no AWS cloud.
func TestAWSCloudFromConfig(t *testing.T) {
	fake := awstest.NewServer(t)
	fake.Add(awstest.Instance{ID: "i-0aaa", Account: "111111111111", Name: "web-1", Tags: map[string]string{"tier": "web"},
		SSM: &awstest.Agent{PingStatus: "Online", PlatformName: "Ubuntu"}},
		awstest.Instance{ID: "i-0bbb", Account: "111111111111", Name: "web-2", Tags: map[string]string{"tier": "web"}})
	t.Setenv("AWS_ACCESS_KEY_ID", "AKFAKEBOT")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	cfg, err := config.Parse("t.yaml", []byte(`pipeline:
  - {env: nonprod, approvers: [U0ALICE001]}
  - {env: production, approvers: [U0ALICE001, U0BOB00002]}
tenants:
  - name: acme-cu
    environments:
      production:
        targets:
          - {cloud: aws, account: "111111111111", regions: [us-east-1], selector: {tier: web}}
providers:
  kind: cloud
  aws:
    role_name: "arn:aws:iam::{account}:role/patchgate"
    external_id: acme-patchgate
    accounts: [{id: "111111111111"}]
    endpoints: {ec2: "`+fake.URL+`", ssm: "`+fake.URL+`", sts: "`+fake.URL+`"}
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	clouds, err := buildClouds(ctx, cfg, wiring{log: slog.New(slog.DiscardHandler)})
	if err != nil || clouds.aws == nil {
		t.Fatalf("buildClouds = aws %v, %v", clouds.aws, err)
	}
	c := clouds.fleets[runbooks.AWS]
	if c.Inventory == nil || c.Backups == nil || c.Patcher == nil || clouds.access() == nil || clouds.archive != nil {
		t.Fatalf("cloud %+v access %v archive %v; want the fleet ports and access, no archive without a bucket", c, clouds.access(), clouds.archive)
	}
	tenant := cfg.Tenants()[0]
	env, _ := tenant.Env("production")
	hosts, err := c.Inventory.Hosts(ctx, tenant, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 2 || !hosts[0].Managed || hosts[1].Managed {
		t.Fatalf("hosts = %+v, want i-0aaa managed and i-0bbb not", hosts)
	}
	if got := fake.ExternalID("111111111111"); got != "acme-patchgate" {
		t.Errorf("AssumeRole external ID = %q, want acme-patchgate", got)
	}

	plain, err := config.Parse("t.yaml", []byte("pipeline:\n  - {env: nonprod, approvers: [U0ALICE001]}\n  - {env: production, approvers: [U0ALICE001, U0BOB00002]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := awsCloud(ctx, plain, wiring{}); p != nil || err != nil {
		t.Errorf("awsCloud without providers.aws = %v, %v; want not configured", p, err)
	}
}
