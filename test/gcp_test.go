package test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/gcp"
	"github.com/patchgate/patchgate/providers/gcp/gcptest"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/test/fakes"
	"google.golang.org/api/option"
)

// These scenarios run the real engine with the GCP provider (real
// google.golang.org/api clients) as its inventory, backups and patcher,
// against gcptest's Compute and OS Config fake; sensors, health and pager
// stay simulated.

// gcpTenant keeps each environment in its own project, as the DR platform
// does.
func gcpTenant() runbooks.Tenant {
	env := func(name string) runbooks.Environment {
		return runbooks.Environment{Name: name, Targets: []runbooks.Target{{Cloud: runbooks.GCP, Account: "cascade-" + name,
			Regions: []string{"us-central1"}, Selector: map[string]string{"patch-group": name}}}}
	}
	return runbooks.Tenant{Name: "cascade-cu", Environments: []runbooks.Environment{env("nonprod"), env("staging"), env("production")}}
}

// gcpFleet puts two VMs in each environment's project, over two zones.
func gcpFleet(srv *gcptest.Server, edit func(*gcptest.Instance)) {
	for _, env := range []string{"nonprod", "staging", "production"} {
		for i, zone := range []string{"us-central1-a", "us-central1-b"} {
			in := gcptest.Instance{Project: "cascade-" + env, Zone: zone, Name: fmt.Sprintf("%s-app-%02d", env, i+1),
				Labels:    map[string]string{"patch-group": env},
				OS:        &gcptest.OSInfo{ShortName: "debian", Version: "12", KernelRelease: "6.1.0-25-amd64"},
				Available: []gcptest.Package{{Manager: "apt", Name: "openssl", Version: "3.0.15-1", Arch: "amd64"}}}
			if edit != nil {
				edit(&in)
			}
			srv.AddInstance(in)
		}
	}
}

// newGCPHarness builds replicas whose fleet ports are each their own GCP
// provider, as separate processes would have.
func newGCPHarness(t *testing.T, srv *gcptest.Server, replicas int) *harness {
	t.Helper()
	h := &harness{t: t, store: backends()[0].open(t), clock: testkit.NewClock(start), chat: fakes.NewChat()}
	srv.Now = h.clock.Now
	fleet, err := sim.New(sim.Config{Seed: 7, Tenants: []runbooks.Tenant{gcpTenant()}, HostsPerTarget: 1, Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	h.fleet = fleet
	h.engines = gcpEngines(t, h, srv, replicas)
	return h
}

func gcpEngines(t *testing.T, h *harness, srv *gcptest.Server, replicas int) []*runbooks.Engine {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var out []*runbooks.Engine
	for i := range replicas {
		p, err := gcp.New(context.Background(), gcp.Config{ComputeEndpoint: srv.ComputeEndpoint(), OSConfigEndpoint: srv.OSConfigEndpoint(),
			Options: []option.ClientOption{option.WithoutAuthentication()}, Clock: h.clock, InventoryMaxAge: 7 * 24 * time.Hour, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		e, err := runbooks.New(runbooks.Config{Replica: fmt.Sprintf("replica-%d", i), Workers: 8, LeaseTTL: 30 * time.Second},
			runbooks.Deps{Store: h.store, Clock: h.clock, Inventory: p, Backups: p, Patcher: p,
				Sensors: h.fleet, Health: h.fleet, Pager: h.fleet, Directory: h.fleet, Chat: h.chat, Log: log,
				Reporter: &reports.Dir{Path: t.TempDir(), Now: h.clock.Now}},
			[]runbooks.Tenant{gcpTenant()}, testPipeline())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func TestGCPCycleEndToEnd(t *testing.T) {
	ctx := context.Background()
	srv := gcptest.New(t)
	gcpFleet(srv, nil)
	h := newGCPHarness(t, srv, 2)
	c := h.start(ctx, "cascade-cu")
	c = h.finish(ctx, c.ID)
	if c.Scope.Hosts != 6 || c.Scope.Unmanaged != 0 || c.Scope.ByCloud[runbooks.GCP] != 6 {
		t.Errorf("scope = %+v, want 6 managed GCP hosts", c.Scope)
	}
	if n := srv.Count("osconfig.patchJobs.execute"); n != 3 {
		t.Errorf("patch jobs executed = %d, want 3 (one per environment)", n)
	}
	if n := srv.Count("compute.disks.createSnapshot"); n == 0 || n%2 != 0 {
		t.Errorf("snapshots taken = %d, want two per backed-up environment", n)
	}
	for _, env := range []string{"nonprod", "staging", "production"} {
		if in, _ := srv.Instance("cascade-"+env, "us-central1-a", env+"-app-01"); len(in.Available) != 0 {
			t.Errorf("%s-app-01 still has updates: %+v", env, in.Available)
		}
	}
	t.Logf("requests: %v", srv.Counts())
}

func TestGCPUnmanagedInstanceFailsPreflight(t *testing.T) {
	ctx := context.Background()
	srv := gcptest.New(t)
	gcpFleet(srv, func(in *gcptest.Instance) {
		if in.Name == "staging-app-02" {
			in.OS = nil // no OS Config agent report
		}
	})
	h := newGCPHarness(t, srv, 1)
	c := h.start(ctx, "cascade-cu")
	c = h.runUntil(ctx, c.ID, "preflight fails", halted)
	s := failedStage(t, c, c.Stages[0].Name, runbooks.PhaseInventory)
	if len(s.Failure.Findings) != 1 || s.Failure.Findings[0].HostName != "staging-app-02" ||
		!strings.Contains(s.Failure.Findings[0].Reason, "no OS Config inventory report") {
		t.Fatalf("findings = %+v, want staging-app-02 without an OS Config report", s.Failure.Findings)
	}
	if c.Scope.Hosts != 6 || c.Scope.Unmanaged != 1 {
		t.Errorf("scope = %+v, want 6 hosts, 1 unmanaged", c.Scope)
	}
	if n := srv.Count("osconfig.patchJobs.execute") + srv.Count("compute.disks.createSnapshot"); n != 0 {
		t.Errorf("%d snapshots or patch jobs sent after a failed preflight", n)
	}
}

func TestGCPPatchFailureFailsTheStageWithTheHost(t *testing.T) {
	ctx := context.Background()
	srv := gcptest.New(t)
	gcpFleet(srv, func(in *gcptest.Instance) {
		if in.Name == "nonprod-app-02" {
			in.PatchFailure = "dpkg: error processing package openssl (--configure)"
		}
	})
	h := newGCPHarness(t, srv, 2)
	c := h.start(ctx, "cascade-cu")
	c = h.runUntil(ctx, c.ID, "nonprod fails", halted)
	np := failedStage(t, c, "nonprod", runbooks.PhasePatch)
	if len(np.Failure.Findings) != 1 || np.Failure.Findings[0].HostName != "nonprod-app-02" ||
		!strings.Contains(np.Failure.Findings[0].Reason, "dpkg: error processing package openssl") {
		t.Fatalf("findings = %+v, want nonprod-app-02 with its failure reason", np.Failure.Findings)
	}
	if n := srv.Count("osconfig.patchJobs.execute"); n != 1 {
		t.Errorf("patch jobs executed = %d, want 1", n)
	}
}

// The engine processes die while production's patch job runs; new ones,
// with new GCP clients, poll the stored job to the end.
func TestGCPRestartMidPatchJobPollsTheSameJob(t *testing.T) {
	ctx := context.Background()
	srv := gcptest.New(t)
	srv.JobPolls = 4
	gcpFleet(srv, nil)
	h := newGCPHarness(t, srv, 2)
	c := h.start(ctx, "cascade-cu")
	c = h.runUntil(ctx, c.ID, "production patch job running", func(c *runbooks.Cycle) bool {
		s, _ := c.Stage("production")
		return s.Patch.Handle != "" && !s.Patch.Done
	})
	prod, _ := c.Stage("production")
	handle := prod.Patch.Handle
	if n := srv.Count("osconfig.patchJobs.execute"); n != 3 {
		t.Fatalf("patch jobs executed before the restart = %d, want 3", n)
	}
	gets := srv.Count("osconfig.patchJobs.get")

	h.engines = gcpEngines(t, h, srv, 2) // the old processes are gone
	c = h.finish(ctx, c.ID)
	prod, _ = c.Stage("production")
	if prod.Patch.Handle != handle {
		t.Errorf("production's handle changed from %s to %s", handle, prod.Patch.Handle)
	}
	if n := srv.Count("osconfig.patchJobs.execute"); n != 3 {
		t.Errorf("patch jobs executed = %d, want still 3: no second job for production", n)
	}
	if srv.Count("osconfig.patchJobs.get") <= gets {
		t.Error("the new processes never polled the job")
	}
}
