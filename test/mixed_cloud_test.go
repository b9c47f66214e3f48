package test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/azure"
	"github.com/patchgate/patchgate/providers/azure/azuretest"
	azuresettings "github.com/patchgate/patchgate/providers/azure/settings"
	"github.com/patchgate/patchgate/providers/gcp"
	"github.com/patchgate/patchgate/providers/gcp/gcptest"
	"github.com/patchgate/patchgate/providers/multi"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
	"google.golang.org/api/option"
)

// A credit union whose every environment spans the three clouds: its AWS
// accounts (the simulated fleet), an Azure resource group (the fake ARM
// endpoint, real azure-sdk-for-go clients) and a GCP project (the fake
// Compute/OS Config endpoint, real google.golang.org/api clients). One
// engine runs one cycle over all of it through the router.

const triSub = "33333333-3333-3333-3333-333333333333"

func triTenant() runbooks.Tenant {
	env := func(name string) runbooks.Environment {
		return runbooks.Environment{Name: name, Targets: []runbooks.Target{
			{Cloud: runbooks.AWS, Account: "4444444444" + map[string]string{"nonprod": "01", "staging": "02", "production": "03"}[name],
				Regions: []string{"us-east-1"}},
			{Cloud: runbooks.Azure, Account: triSub, Groups: []string{"rg-" + name}},
			{Cloud: runbooks.GCP, Account: "tri-" + name, Regions: []string{"us-central1-a"}},
		}}
	}
	return runbooks.Tenant{Name: "tri-cu", Environments: []runbooks.Environment{env("nonprod"), env("staging"), env("production")}}
}

func TestMixedCloudCycleRunsEndToEndWithOneInventory(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			arm, gce := azuretest.New(t), gcptest.New(t)
			for _, e := range []string{"nonprod", "staging", "production"} {
				arm.AddVM(azuretest.VM{Subscription: triSub, ResourceGroup: "rg-" + e, Name: e + "-az-web",
					OSName: "ubuntu", OSVersion: "22.04", Agent: "Ready", CriticalAndSecurity: 3})
				gce.AddInstance(gcptest.Instance{Project: "tri-" + e, Zone: "us-central1-a", Name: e + "-gce-app",
					OS:        &gcptest.OSInfo{ShortName: "debian", Version: "12", KernelRelease: "6.1.0-25-amd64"},
					Available: []gcptest.Package{{Manager: "apt", Name: "openssl", Version: "3.0.15-1", Arch: "amd64"}}})
			}
			tn := triTenant()
			h := newHarness(t, b.open(t), sim.Config{Seed: 11, Tenants: []runbooks.Tenant{tn}, HostsPerTarget: 2}, 2,
				func(deps *runbooks.Deps, pipeline *runbooks.Pipeline) {
					az, err := azure.New(azure.Config{Credential: azuretest.Credential{}, Endpoint: arm.URL, Settings: azuresettings.Settings{PollInterval: 1}, Log: deps.Log})
					if err != nil {
						t.Fatal(err)
					}
					gc, err := gcp.New(ctx, gcp.Config{ComputeEndpoint: gce.ComputeEndpoint(), OSConfigEndpoint: gce.OSConfigEndpoint(),
						Options: []option.ClientOption{option.WithoutAuthentication()}, InventoryMaxAge: 7 * 24 * time.Hour, Log: deps.Log})
					if err != nil {
						t.Fatal(err)
					}
					fleet := deps.Inventory.(*sim.Fleet)
					r, err := multi.New(map[runbooks.Cloud]multi.Cloud{
						runbooks.AWS:   {Inventory: fleet, Backups: fleet, Patcher: fleet},
						runbooks.Azure: {Inventory: az, Backups: az, Patcher: az},
						runbooks.GCP:   {Inventory: gc, Backups: gc, Patcher: gc},
					})
					if err != nil {
						t.Fatal(err)
					}
					deps.Inventory, deps.Backups, deps.Patcher = r, r, r
					for i := range *pipeline {
						// The simulated Falcon knows only the simulated hosts.
						(*pipeline)[i].SensorGate = false
					}
				})
			gce.Now = h.clock.Now
			c := h.start(ctx, tn.Name)
			c = h.finish(ctx, c.ID)

			// One combined inventory: every cloud's hosts in the one
			// preflight snapshot the gates and the report use.
			hosts, err := h.engines[0].Inventory(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			byCloud := map[runbooks.Cloud]int{}
			for _, hst := range hosts {
				if !hst.Managed {
					t.Errorf("host %s (%s) unmanaged", hst.Name, hst.Cloud)
				}
				byCloud[hst.Cloud]++
			}
			want := map[runbooks.Cloud]int{runbooks.AWS: 6, runbooks.Azure: 3, runbooks.GCP: 3}
			if fmt.Sprint(byCloud) != fmt.Sprint(want) || fmt.Sprint(c.Scope.ByCloud) != fmt.Sprint(want) {
				t.Fatalf("inventory by cloud = %v, scope %v; want %v", byCloud, c.Scope.ByCloud, want)
			}
			for _, name := range []string{"nonprod", "staging", "production"} {
				s, _ := c.Stage(name)
				if s.Patch.Total != 4 || s.Patch.Succeeded != 4 || s.Backup.Total != 4 {
					t.Errorf("%s: backup %+v patch %+v; want 4 hosts (2 AWS, 1 Azure, 1 GCP) backed up and patched", name, s.Backup, s.Patch)
				}
			}
			// Each cloud was asked once per environment, whatever the
			// replicas and ticks did.
			st := h.fleet.Stats()
			if st.Patches.Starts != 3 || st.Patches.Duplicates != 0 {
				t.Errorf("AWS (sim) patch starts %d, duplicates %d; want 3, 0", st.Patches.Starts, st.Patches.Duplicates)
			}
			if n := arm.CountSuffix("POST", "/installPatches"); n != 3 {
				t.Errorf("Azure installPatches = %d, want 3", n)
			}
			if n := gce.Count("osconfig.patchJobs.execute"); n != 3 {
				t.Errorf("GCP patch jobs = %d, want 3", n)
			}
			if c.Report == nil || c.Report.Compliance == nil {
				t.Fatalf("no report with a compliance verdict: %+v", c.Report)
			}
			verifyAllStreams(t, h.store)
		})
	}
}
