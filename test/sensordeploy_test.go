package test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/edr"
	"github.com/patchgate/patchgate/test/fakes"
)

// installerDouble stands in for a cloud's agent: it records every command
// sent (by tag and by host), loses the reply of every lostEvery-th send
// (the command runs, the caller sees an error, as when a connection drops),
// and on the first poll after the command "ran" installs the sensor in the
// simulated fleet so the Falcon side (the sim) sees it registered.
type installerDouble struct {
	mu        sync.Mutex
	fleet     *sim.Fleet
	lostEvery int
	fail      map[string]bool // host IDs whose install fails
	sends     int
	byTag     map[string]runbooks.SensorInstallRequest
	perHost   map[string]int
}

func newInstallerDouble(f *sim.Fleet, lostEvery int) *installerDouble {
	return &installerDouble{fleet: f, lostEvery: lostEvery, fail: map[string]bool{},
		byTag: map[string]runbooks.SensorInstallRequest{}, perHost: map[string]int{}}
}

func (d *installerDouble) FindInstall(_ context.Context, req runbooks.SensorInstallRequest) (runbooks.SensorInstallStatus, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.byTag[req.Tag]; ok {
		return runbooks.SensorInstallStatus{Handle: "cmd-" + req.Tag, Source: runbooks.SourceSimulation}, true, nil
	}
	return runbooks.SensorInstallStatus{}, false, nil
}

func (d *installerDouble) StartInstall(_ context.Context, req runbooks.SensorInstallRequest) (runbooks.SensorInstallStatus, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.byTag[req.Tag]; ok {
		return runbooks.SensorInstallStatus{}, fmt.Errorf("tag %s sent twice", req.Tag)
	}
	d.sends++
	d.byTag[req.Tag] = req
	for _, h := range req.Hosts {
		d.perHost[h.ID]++
	}
	if d.lostEvery > 0 && d.sends%d.lostEvery == 0 {
		return runbooks.SensorInstallStatus{}, errors.New("connection reset after the command was accepted")
	}
	return runbooks.SensorInstallStatus{Handle: "cmd-" + req.Tag, Source: runbooks.SourceSimulation}, nil
}

func (d *installerDouble) PollInstall(_ context.Context, req runbooks.SensorInstallRequest, handle string) (runbooks.SensorInstallStatus, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if handle != "cmd-"+req.Tag {
		return runbooks.SensorInstallStatus{}, fmt.Errorf("unknown handle %s", handle)
	}
	st := runbooks.SensorInstallStatus{Handle: handle, Done: true, Source: runbooks.SourceSimulation}
	for _, h := range req.Hosts {
		if d.fail[h.ID] {
			st.Hosts = append(st.Hosts, runbooks.SensorHostResult{HostID: h.ID, Detail: "falcon-sensor.rpm: dependency libnl3 missing"})
			continue
		}
		if err := d.fleet.FixHost(h.ID); err != nil {
			return st, err
		}
		st.Hosts = append(st.Hosts, runbooks.SensorHostResult{HostID: h.ID, OK: true})
	}
	return st, nil
}

type deployRig struct {
	t       *testing.T
	fleet   *sim.Fleet
	clock   *testkit.Clock
	inst    *installerDouble
	engines []*runbooks.Engine
	tenant  runbooks.Tenant
}

// newDeployRig builds three replicas over one store with the sim as
// inventory and EDR console, production's hosts without a sensor.
func newDeployRig(t *testing.T, b backend, batch, concurrency, lostEvery int) *deployRig {
	t.Helper()
	tn := gateTenant()
	clock := testkit.NewClock(start)
	fleet, err := sim.New(sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{tn}, HostsPerTarget: 2, Clock: clock,
		Faults: sim.Faults{NoSensor: []string{tn.Name + "/production"}}})
	if err != nil {
		t.Fatal(err)
	}
	r := &deployRig{t: t, fleet: fleet, clock: clock, inst: newInstallerDouble(fleet, lostEvery), tenant: tn}
	st := b.open(t)
	chat := fakes.NewChat()
	svc := &edr.Service{Tenants: []runbooks.Tenant{tn}, Inventory: fleet, Fleet: fleet, Clock: clock}
	for i := range 3 {
		deps := runbooks.Deps{Store: st, Clock: clock, Inventory: fleet, Sensors: fleet, Backups: fleet, Patcher: fleet,
			Health: fleet, Pager: fleet, Directory: fleet, Chat: chat, Log: quiet,
			Reporter: &reports.Dir{Path: t.TempDir(), Now: clock.Now}, SensorInstaller: r.inst, SensorFleet: svc}
		e, err := runbooks.New(runbooks.Config{Replica: fmt.Sprintf("replica-%d", i), Workers: 8, LeaseTTL: 30 * time.Second,
			SensorDeploy: runbooks.SensorDeploySettings{BatchSize: batch, Concurrency: concurrency}}, deps, []runbooks.Tenant{tn}, testPipeline())
		if err != nil {
			t.Fatal(err)
		}
		r.engines = append(r.engines, e)
	}
	return r
}

func (r *deployRig) tickAll(ctx context.Context) {
	r.t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(r.engines))
	for i, e := range r.engines {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = e.Tick(ctx) }()
	}
	wg.Wait()
	for _, err := range errs {
		// A lost reply is a counted failed attempt, not a test failure.
		if err != nil && !strings.Contains(err.Error(), "connection reset") {
			r.t.Fatalf("tick: %v", err)
		}
	}
}

// run ticks every replica until the deployment leaves the active set or
// stops at want.
func (r *deployRig) run(ctx context.Context, id string, want runbooks.SensorDeployStatus) *runbooks.SensorDeploy {
	r.t.Helper()
	for range 60 {
		r.tickAll(ctx)
		d, err := r.engines[0].GetSensorDeploy(ctx, id)
		if err != nil {
			r.t.Fatal(err)
		}
		if d.Status == want && len(d.Outbox) == 0 && d.Notified == d.Revision {
			return d
		}
		r.clock.Advance(time.Minute)
	}
	d, _ := r.engines[0].GetSensorDeploy(ctx, id)
	r.t.Fatalf("deployment %s never reached %s: %+v", id, want, d)
	return nil
}

// TestSensorDeployOncePerHostAcrossReplicas: a production deployment of
// the hosts coverage finds without a sensor needs two approvers other than
// the requester; then three replicas install in batches, two at a time,
// each host exactly once although every second send loses its reply; then
// validation reads the EDR console and the deployment completes, audited.
func TestSensorDeployOncePerHostAcrossReplicas(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			r := newDeployRig(t, b, 1, 2, 2)
			d, err := r.engines[1].RequestSensorDeploy(ctx, runbooks.SensorDeployRequest{Tenant: r.tenant.Name, Env: "production",
				Requester: requester, Reason: "PCI 5.2: production hosts without EDR"})
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Hosts) < 3 || len(d.Batches) != len(d.Hosts) || d.MinApprovals != 2 || !d.FourEyes || !d.Production {
				t.Fatalf("plan %+v: want every unsensored production host, one per batch, two approvals with four eyes", d)
			}
			for _, h := range d.Hosts {
				if h.Action != runbooks.SensorInstall || !strings.Contains(h.Why, "no Falcon sensor") || !strings.Contains(h.Why, runbooks.SourceSimulation) {
					t.Errorf("%s picked as %s because %q", h.Host.Name, h.Action, h.Why)
				}
			}
			r.tickAll(ctx)
			if r.inst.sends != 0 {
				t.Fatalf("%d installs sent before approval", r.inst.sends)
			}
			decide := func(who string, e int) (runbooks.Outcome, error) {
				cur, _ := r.engines[0].GetSensorDeploy(ctx, d.ID)
				return r.engines[e].Decide(ctx, runbooks.Decision{Cycle: d.ID, Action: runbooks.Approve, Actor: who,
					SeenRevision: cur.Revision, InteractionID: "click-" + who})
			}
			if _, err := decide(requester, 0); runbooks.ErrorCode(err) != runbooks.CodeSelfApproval {
				t.Fatalf("requester approving their own production deployment: %v", err)
			}
			if _, err := decide(outsider, 0); runbooks.ErrorCode(err) != runbooks.CodeForbidden {
				t.Fatalf("outsider approving: %v", err)
			}
			if _, err := decide(alice, 1); err != nil {
				t.Fatal(err)
			}
			r.tickAll(ctx)
			if r.inst.sends != 0 {
				t.Fatal("installs sent after one of two approvals")
			}
			if out, err := decide(bob, 2); err != nil || out.SensorDeploy.Status != runbooks.DeployInstalling {
				t.Fatalf("second approval: %+v, %v", out, err)
			}
			done := r.run(ctx, d.ID, runbooks.DeployCompleted)
			for _, h := range done.Hosts {
				if n := r.inst.perHost[h.Host.ID]; n != 1 {
					t.Errorf("%s: sent %d installs, want exactly one", h.Host.Name, n)
				}
				if h.Result != "ok" {
					t.Errorf("%s: result %q", h.Host.Name, h.Result)
				}
			}
			if r.inst.sends != len(done.Batches) {
				t.Errorf("%d commands sent for %d batches", r.inst.sends, len(done.Batches))
			}
			evs, err := r.engines[0].SensorDeployEvents(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			var types []string
			found := 0
			for _, ev := range evs {
				types = append(types, ev.Type)
				if ev.Type == runbooks.EvDeployBatchSent && strings.Contains(ev.Detail, "found the earlier command") {
					found++
				}
			}
			joined := strings.Join(types, " ")
			for _, want := range []string{runbooks.EvDeployRequested, runbooks.EvApproved, runbooks.EvApprovalComplete,
				runbooks.EvDeployBatchSent, runbooks.EvDeployBatchDone, runbooks.EvDeployInstalled, runbooks.EvDeployValidation, runbooks.EvDeployCompleted} {
				if !strings.Contains(joined, want) {
					t.Errorf("audit trail lacks %s: %s", want, joined)
				}
			}
			if found == 0 {
				t.Error("no batch was found again by its tag after a lost reply")
			}
			cov, err := (&edr.Service{Tenants: []runbooks.Tenant{r.tenant}, Inventory: r.fleet, Fleet: r.fleet}).Coverage(ctx, r.tenant.Name)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range cov.Envs {
				if e.Covered != e.Hosts {
					t.Errorf("after the deployment %s/%s covers %d of %d", e.Tenant, e.Env, e.Covered, e.Hosts)
				}
			}
		})
	}
}
