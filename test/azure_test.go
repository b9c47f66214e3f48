package test

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/azure"
	"github.com/patchgate/patchgate/providers/azure/azuretest"
	azuresettings "github.com/patchgate/patchgate/providers/azure/settings"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// The Azure provider under the real engine: a tenant whose three
// environments are Azure resource groups, served by the fake ARM endpoint.
// The simulated fleet supplies only health, paging and the directory.

const azureSub = "22222222-2222-2222-2222-222222222222"

func azureTenant() runbooks.Tenant {
	env := func(name string) runbooks.Environment {
		return runbooks.Environment{Name: name, Targets: []runbooks.Target{{Cloud: runbooks.Azure, Account: azureSub,
			Groups: []string{"rg-" + name}, Selector: map[string]string{"patch-group": "web"}}}}
	}
	return runbooks.Tenant{Name: "contoso-cu", Environments: []runbooks.Environment{env("nonprod"), env("staging"), env("production")}}
}

// azureWorld adds two managed VMs and a connected Arc server per
// environment and returns the production VM's ID for faults.
func azureWorld(s *azuretest.Server) (prodVM string) {
	tags := map[string]string{"patch-group": "web"}
	for _, e := range []string{"nonprod", "staging", "production"} {
		for _, n := range []string{"web-1", "web-2"} {
			id := s.AddVM(azuretest.VM{Subscription: azureSub, ResourceGroup: "rg-" + e, Name: e + "-" + n, Tags: tags,
				OSName: "ubuntu", OSVersion: "22.04", Agent: "Ready", CriticalAndSecurity: 4})
			if e == "production" && n == "web-2" {
				prodVM = id
			}
		}
		s.AddArc(azuretest.Arc{Subscription: azureSub, ResourceGroup: "rg-" + e, Name: e + "-arc-1", Tags: tags,
			OSName: "linux", OSSKU: "Ubuntu 22.04.4 LTS", OSVersion: "5.15.0-124-generic", CriticalAndSecurity: 2})
	}
	return prodVM
}

func newAzureHarness(t *testing.T, b backend, srv *azuretest.Server) *harness {
	t.Helper()
	tn := azureTenant()
	return newHarness(t, b.open(t), sim.Config{Seed: 3, Tenants: []runbooks.Tenant{tn}, HostsPerTarget: 1}, 2,
		func(deps *runbooks.Deps, pipeline *runbooks.Pipeline) {
			p, err := azure.New(azure.Config{Credential: azuretest.Credential{}, Endpoint: srv.URL,
				Settings: azuresettings.Settings{ArcBackup: azuresettings.ArcBackupSkip, PollInterval: 1}, Log: deps.Log})
			if err != nil {
				t.Fatal(err)
			}
			deps.Inventory, deps.Backups, deps.Patcher = p, p, p
			for i := range *pipeline {
				(*pipeline)[i].SensorGate = false // no EDR in this scenario
			}
		})
}

func TestAzureCycleFailsOnTheMachineThatFailed(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			srv := azuretest.New(t)
			bad := azureWorld(srv)
			srv.SetInstall(bad, azuretest.Outcome{Status: "Failed", Installed: 1, Failed: 3})
			h := newAzureHarness(t, b, srv)
			c := h.start(ctx, "contoso-cu")
			c = h.runUntil(ctx, c.ID, "production fails", halted)

			prod := failedStage(t, c, "production", runbooks.PhasePatch)
			if len(prod.Failure.Findings) != 1 || prod.Failure.Findings[0].HostName != "production-web-2" ||
				!strings.Contains(prod.Failure.Findings[0].Reason, "3 patch(es) failed") {
				t.Fatalf("production findings %+v, want production-web-2 with its 3 failed patches", prod.Failure.Findings)
			}
			for _, name := range []string{"nonprod", "staging"} {
				if s, _ := c.Stage(name); s.Phase != runbooks.PhaseDone || s.Patch.Succeeded != 3 {
					t.Errorf("%s: phase %s, patch %+v; want done with 3 machines patched", name, s.Phase, s.Patch)
				}
			}
			// Each machine got exactly one install and one verifying
			// assessment, however many replicas and ticks polled.
			if n := srv.CountSuffix("POST", "/installPatches"); n != 9 {
				t.Errorf("%d installPatches in all, want 9 (3 machines x 3 environments)", n)
			}
			if n := srv.CountSuffix("POST", "/assessPatches"); n != 6 {
				t.Errorf("%d assessPatches, want 6 (nonprod and staging verified; production failed before verify)", n)
			}
			if n := len(srv.Snapshots()); n != 6 {
				t.Errorf("%d snapshots, want one per VM (6)", n)
			}
		})
	}
}

func TestAzureInventoryGateNamesUnmanagedMachines(t *testing.T) {
	b := backends()[0]
	ctx := context.Background()
	srv := azuretest.New(t)
	azureWorld(srv)
	tags := map[string]string{"patch-group": "web"}
	srv.AddVM(azuretest.VM{Subscription: azureSub, ResourceGroup: "rg-staging", Name: "staging-noagent", Tags: tags})
	srv.AddArc(azuretest.Arc{Subscription: azureSub, ResourceGroup: "rg-production", Name: "production-arc-lost", Tags: tags, Status: "Disconnected"})
	h := newAzureHarness(t, b, srv)
	c := h.start(ctx, "contoso-cu")
	c = h.runUntil(ctx, c.ID, "preflight fails", halted)
	pre := failedStage(t, c, "preflight", runbooks.PhaseInventory)
	got := findingNames(pre.Failure.Findings)
	if strings.Join(got, ",") != "production-arc-lost,staging-noagent" {
		t.Fatalf("preflight findings %v, want the agentless VM and the disconnected Arc server", got)
	}
	if c.Scope.Hosts != 11 || c.Scope.ByCloud[runbooks.Azure] != 11 {
		t.Errorf("scope = %+v, want 11 Azure hosts", c.Scope)
	}
	if n := srv.CountSuffix("POST", "/installPatches"); n != 0 {
		t.Errorf("%d installs after a failed preflight, want none", n)
	}
}
