package config

import (
	"reflect"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

const examplePath = "../deploy/examples/patchgate.yaml"

// TestExample keeps the shipped example valid and pins what it converts to.
func TestExample(t *testing.T) {
	c, err := Load(examplePath)
	if err != nil {
		t.Fatalf("the example config has problems:\n%v", err)
	}

	wantPipeline := runbooks.Pipeline{
		{Env: "nonprod", Approvers: []string{"U0NONPROD1", "U0NONPROD2"}, Groups: []string{"S0SRE"},
			MinApprovals: 1, SensorGate: true, ApprovalTTL: runbooks.DefaultApprovalTTL},
		{Env: "staging", Approvers: []string{"U0STAGING1"}, Groups: []string{"S0SRE"},
			MinApprovals: 1, SensorGate: true, Soak: 24 * time.Hour, Staging: true, ApprovalTTL: runbooks.DefaultApprovalTTL},
		{Env: "production", Approvers: []string{"U0PROD0001", "U0PROD0002", "U0PROD0003"},
			Groups: []string{"S0CHANGEADV"}, MinApprovals: 2, FourEyes: true, HealthGate: true, SensorGate: true, Production: true,
			ApprovalTTL: runbooks.DefaultApprovalTTL},
	}
	if got := c.Pipeline(); !reflect.DeepEqual(got, wantPipeline) {
		t.Errorf("Pipeline() =\n%+v\nwant\n%+v", got, wantPipeline)
	}

	aws := func(acct, group string, regions ...string) runbooks.Target {
		return runbooks.Target{Cloud: runbooks.AWS, Account: acct, Regions: regions,
			Selector: map[string]string{"PatchGroup": group}}
	}
	azure := func(sub, group string, rgs ...string) runbooks.Target {
		return runbooks.Target{Cloud: runbooks.Azure, Account: sub, Groups: rgs,
			Selector: map[string]string{"patch-group": group}}
	}
	gcp := func(project, group string, zones ...string) runbooks.Target {
		return runbooks.Target{Cloud: runbooks.GCP, Account: project, Regions: zones,
			Selector: map[string]string{"patch-group": group}}
	}
	env := func(name string, ts ...runbooks.Target) runbooks.Environment {
		return runbooks.Environment{Name: name, Targets: ts}
	}
	wantTenants := []runbooks.Tenant{
		{Name: "acme-cu", Display: "ACME Credit Union", Environments: []runbooks.Environment{
			env("nonprod", aws("111111111111", "nonprod", "us-east-1")),
			env("staging", aws("111111111111", "staging", "us-east-1")),
			env("production", aws("222222222222", "production", "us-east-1", "us-west-2")),
		}},
		{Name: "bayview-cu", Display: "Bayview Credit Union", Environments: []runbooks.Environment{
			env("nonprod", azure("3b1f6c2e-0a4d-4e8b-9c7f-1d2e3f4a5b6c", "nonprod", "rg-bayview-nonprod")),
			env("production", azure("7c9e2a41-5b3d-4f60-8e1a-2b4c6d8e0f12", "production",
				"rg-bayview-prod-eastus", "rg-bayview-prod-westus")),
		}},
		{Name: "cascade-cu", Display: "Cascade Community Credit Union", Environments: []runbooks.Environment{
			env("nonprod", gcp("cascade-nonprod", "nonprod", "us-central1-a")),
			env("staging", gcp("cascade-staging", "staging", "us-central1-a")),
			env("production", gcp("cascade-prod", "production", "us-central1-a", "us-central1-b"),
				aws("333333333333", "core-banking", "us-west-2")),
		}},
	}
	if got := c.Tenants(); !reflect.DeepEqual(got, wantTenants) {
		t.Errorf("Tenants() =\n%+v\nwant\n%+v", got, wantTenants)
	}

	wantEngine := runbooks.Config{Tick: 2 * time.Second, LeaseTTL: time.Minute, Workers: 8, MaxSteps: 64,
		MaxErrors: 3, StepTimeout: 30 * time.Second, RecordTimeout: runbooks.DefaultRecordTimeout, WriteFormat: runbooks.RecordFormat,
		ChangePoll: runbooks.DefaultChangePoll, Remediation: runbooks.RemediationSettings{
			Debounce: runbooks.DefaultRemediationDebounce, ComplianceTimeout: runbooks.DefaultComplianceTimeout, CompliancePoll: runbooks.DefaultCompliancePoll,
			ClaimTTL: runbooks.DefaultClaimTTL}}
	if got := c.EngineConfig(); !reflect.DeepEqual(got, wantEngine) {
		t.Errorf("EngineConfig() = %+v, want %+v", got, wantEngine)
	}
	if c.Store.Backend != BackendBolt || c.Store.Bolt.Path != DefaultBoltPath || c.Providers.Kind != ProviderSim {
		t.Errorf("store %+v, providers %+v: want bolt at %s and sim", c.Store, c.Providers, DefaultBoltPath)
	}
	if c.Schedules.Location == nil || c.Schedules.Location.String() != "UTC" {
		t.Errorf("Schedules.Location = %v, want UTC", c.Schedules.Location)
	}
}

// TestConversionsCopy checks that changing a conversion's result leaves
// the Config alone.
func TestConversionsCopy(t *testing.T) {
	c, err := Load(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	ts := c.Tenants()
	ts[0].Environments[0].Targets[0].Regions[0] = "changed"
	ts[0].Environments[0].Targets[0].Selector["PatchGroup"] = "changed"
	p := c.Pipeline()
	p[0].Approvers[0] = "changed"
	if c.TenantList[0].Environments[0].Targets[0].Regions[0] == "changed" ||
		c.TenantList[0].Environments[0].Targets[0].Selector["PatchGroup"] == "changed" ||
		c.Tiers[0].Approvers[0] == "changed" {
		t.Error("a conversion's result shares memory with the Config")
	}
}
