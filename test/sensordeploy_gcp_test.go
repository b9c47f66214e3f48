package test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/option"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/gcp"
	"github.com/patchgate/patchgate/providers/gcp/gcptest"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/test/fakes"
)

// TestSensorDeployGCPHostilePeerWindowsBatchNotMarkedSent: an approved
// deployment to two Windows VMs on GCP whose OS policy assignment create
// meets a peer that never answers, or a proxy answering 500 with an HTML
// page: the install step ends inside engine.step_timeout as a counted
// failed attempt naming the call, and the batch is not marked sent (no
// handle). Once the peer behaves, the next step creates the assignment,
// each VM runs the installer once, and the deployment completes.
func TestSensorDeployGCPHostilePeerWindowsBatchNotMarkedSent(t *testing.T) {
	for _, kind := range []string{"black-hole", "html-500"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant()
			h := newHarness(t, backends()[0].open(t), sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{tn}, HostsPerTarget: 1}, 0)
			srv := gcptest.New(t)
			srv.Now = h.clock.Now
			win := &gcptest.OSInfo{ShortName: "windows", Version: "10.0.20348", KernelRelease: "10.0.20348.2700"}
			for i, n := range []string{"win-1", "win-2"} {
				srv.AddInstance(gcptest.Instance{Project: "dr-proj", Zone: "us-central1-a", Name: n, ID: uint64(301 + i), OS: win})
			}
			peer := testkit.NewHostile(t, srv.URL)
			peer.Match = func(r *http.Request) bool {
				return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/osPolicyAssignments")
			}
			if kind == "black-hole" {
				peer.BlackHole()
			} else {
				peer.HTMLError()
			}
			p, err := gcp.New(ctx, gcp.Config{ComputeEndpoint: srv.ComputeEndpoint(), OSConfigEndpoint: peer.URL + "/",
				Options: []option.ClientOption{option.WithoutAuthentication()}, Clock: h.clock, Sleep: h.clock.Sleep,
				StepTimeout: budgetStep, Log: quiet,
				Sensor: gcp.SensorInstall{WindowsScript: "gs://patchgate-installers/falcon/install.ps1#1733500042"}})
			if err != nil {
				t.Fatal(err)
			}
			targets := fixedTargets{hosts: []runbooks.Host{
				{ID: "301", Name: "win-1", Cloud: runbooks.GCP, Account: "dr-proj", Region: "us-central1-a", Env: "nonprod", OS: "windows"},
				{ID: "302", Name: "win-2", Cloud: runbooks.GCP, Account: "dr-proj", Region: "us-central1-a", Env: "nonprod", OS: "windows"}}}
			e, err := runbooks.New(runbooks.Config{Replica: "hostile", Workers: 2, LeaseTTL: 30 * time.Second,
				StepTimeout: budgetStep, MaxErrors: budgetMaxErrors},
				runbooks.Deps{Store: h.store, Clock: h.clock, Inventory: h.fleet, Sensors: h.fleet, Backups: h.fleet, Patcher: h.fleet,
					Health: h.fleet, Pager: h.fleet, Directory: h.fleet, Chat: fakes.NewChat(), Log: quiet,
					Reporter: &reports.Dir{Path: t.TempDir(), Now: h.clock.Now}, SensorInstaller: p, SensorFleet: targets},
				[]runbooks.Tenant{tn}, testPipeline())
			if err != nil {
				t.Fatal(err)
			}
			d, err := e.RequestSensorDeploy(ctx, runbooks.SensorDeployRequest{Tenant: tn.Name, Env: "nonprod", Requester: requester})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Decide(ctx, runbooks.Decision{Cycle: d.ID, Action: runbooks.Approve, Actor: alice, SeenRevision: d.Revision, InteractionID: "approve"}); err != nil {
				t.Fatal(err)
			}
			var cur *runbooks.SensorDeploy
			for range 5 {
				if err := e.Tick(ctx); err != nil {
					t.Fatalf("tick: %v", err)
				}
				if cur, err = e.GetSensorDeploy(ctx, d.ID); err != nil {
					t.Fatal(err)
				}
				if cur.Errors > 0 || cur.Batches[0].Sent() {
					break
				}
				h.clock.Advance(time.Minute)
			}
			if cur.Batches[0].Sent() {
				t.Fatalf("batch marked sent with handle %q while the create never succeeded", cur.Batches[0].Handle)
			}
			if cur.Errors != 1 || !strings.Contains(cur.LastError, "osPolicyAssignments") {
				t.Fatalf("after the failing step: %d errors, last %q; want one counted attempt naming the assignment create", cur.Errors, cur.LastError)
			}
			if peer.Hits() == 0 || srv.Count("osconfig.osPolicyAssignments.create") != 0 {
				t.Fatalf("peer hits %d, creates that reached OS Config %d", peer.Hits(), srv.Count("osconfig.osPolicyAssignments.create"))
			}
			peer.Pass()
			for range 30 {
				if cur.Status == runbooks.DeployCompleted || cur.Status == runbooks.DeployFailed {
					break
				}
				h.clock.Advance(time.Minute)
				if err := e.Tick(ctx); err != nil {
					t.Fatalf("tick: %v", err)
				}
				if cur, err = e.GetSensorDeploy(ctx, d.ID); err != nil {
					t.Fatal(err)
				}
			}
			if cur.Status != runbooks.DeployCompleted {
				t.Fatalf("deployment %s (%+v), want completed once the peer behaves", cur.Status, cur.Failure)
			}
			if n := len(srv.Assignments()); n != 1 || srv.LiveAssignments() != 0 {
				t.Errorf("%d assignments created, %d left; want one, deleted when done", n, srv.LiveAssignments())
			}
			for _, n := range []string{"win-1", "win-2"} {
				if in, _ := srv.Instance("dr-proj", "us-central1-a", n); in.Installs != 1 {
					t.Errorf("%s ran the installer %d times, want once", n, in.Installs)
				}
			}
		})
	}
}
