package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/azure/azuretest"
	"github.com/patchgate/patchgate/providers/gcp/gcptest"
	"github.com/patchgate/patchgate/runbooks"
)

// The per-cloud rollback crash tests run `serve` (this test binary as a
// child) against one cloud's provider fake, speaking that cloud's
// documented restore calls: a cycle takes the pre-patch backup of one
// production host, a rollback of it is requested through the CLI, and the
// child is SIGKILLed at every restore step the fake sees (alternately as
// the step arrives and once the child polls after it), on bbolt and on
// Redis. The host must be restored exactly once (each step sent once),
// end with a boot disk, and every kill that found the VM without one must
// be followed by the steps that give it back.

// crashCloud is one cloud's fake, as the crash test drives it.
type crashCloud struct {
	// providers is the cloud's section under providers: (indented two
	// spaces); target is the production target (YAML flow mapping).
	providers, target string
	// simulate is what the simulation answers (default sensors, health,
	// pager and access); stepTimeout is the engine's step budget (default
	// 10s; a cloud whose retries need more says so).
	simulate, stepTimeout string
	env                   map[string]string // the children's credentials
	// steps are the restore steps the host's restore sends, as the fake
	// names them; each must arrive exactly once.
	steps []string
	// restores counts disks made and root volumes replaced for the host.
	restores func() int
	// sends, when set, counts the requests that start the host's restore
	// (an idempotency token may hide a second one from restores): one.
	sends func() int
	// bootDisk reports whether the VM has a boot disk now.
	bootDisk func() bool
	// attached reports whether the VM has any boot disk attached now (nil:
	// bootDisk); bootless are the steps after which it may lawfully have
	// none (the detach sent, the attach not yet done): a crash anywhere
	// else must find one.
	attached func() bool
	bootless []string
}

// rollbackCloudCrash runs the crash test on bolt and redis, with a fresh
// fake (hooked to the killer) from mk for each.
func rollbackCloudCrash(t *testing.T, mk func(t *testing.T, k *stepKiller) crashCloud) {
	if testing.Short() {
		t.Skip("crash test runs only without -short")
	}
	for _, backend := range []string{"bolt", "redis"} {
		t.Run(backend, func(t *testing.T) {
			k := newStepKiller()
			rollbackCloudCrashRun(t, backend, mk(t, k), k)
		})
	}
}

func rollbackCloudCrashRun(t *testing.T, backend string, c crashCloud, k *stepKiller) {
	dir := t.TempDir()
	childEnv(t, c.env)
	cfgPath := filepath.Join(dir, "patchgate.yaml")
	writeCloudCrashConfig(t, cfgPath, crashStoreYAML(t, backend, dir, "rbcloud"), filepath.Join(dir, "sim.json"), c)
	reports := filepath.Join(dir, "reports")
	cli := cliFor(t, cfgPath)

	// The cycle runs to its end untouched: it takes the backup.
	out := cli("cycle", "start", "cascade-cu", "--as", crashReq)
	cycle := strings.Fields(strings.TrimPrefix(out, "started "))[0]
	child, _ := startChild(t, rollbackChild, cfgPath, reports)
	waitChild(t, child, 3*time.Minute)
	if steps, _ := k.sent(); len(steps) != 0 {
		t.Fatalf("restore steps before any rollback: %v", steps)
	}

	out = cli("rollback", "request", cycle, "production", "--as", crashReq, "--reason", "regression after patching")
	rbID := strings.Fields(strings.TrimPrefix(out, "requested "))[0]
	attached := c.attached
	if attached == nil {
		attached = c.bootDisk
	}
	observed, bare := 0, 0
	k.observe = func(steps []string) {
		observed++
		if attached() {
			return
		}
		bare++
		if len(steps) == 0 || !slices.Contains(c.bootless, steps[len(steps)-1]) {
			t.Errorf("killed after steps %v: the VM had no boot disk outside the detach-attach window %v", steps, c.bootless)
		}
	}
	k.runKilled(t, cfgPath, reports, 4*time.Minute)

	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := build(ctx, cfg, wiring{reports: reports, readOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := a.engine.GetRollback(ctx, rbID)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := a.engine.RollbackEvents(ctx, rbID)
	a.store.Close()
	if err != nil {
		t.Fatal(err)
	}
	if rb.Status != runbooks.RollbackCompleted || !rb.Marked || len(rb.Hosts) != 1 || !rb.Hosts[0].Restore.Done {
		t.Fatalf("rollback %s is %s (marked %v): %+v %+v", rb.ID, rb.Status, rb.Marked, rb.Hosts, rb.Failure)
	}
	steps, kills := k.sent()
	count := map[string]int{}
	for _, s := range steps {
		count[s]++
	}
	for _, s := range c.steps {
		if count[s] != 1 {
			t.Errorf("restore step %s sent %d times, want exactly once (all steps %v)", s, count[s], steps)
		}
	}
	if len(steps) != len(c.steps) {
		t.Errorf("restore steps %v, want each of %v once", steps, c.steps)
	}
	if n := c.restores(); n != 1 {
		t.Errorf("host restored %d times, want exactly once", n)
	}
	if c.sends != nil {
		if n := c.sends(); n != 1 {
			t.Errorf("the restore was asked for %d times, want once (a resumed step finds its own request)", n)
		}
	}
	if !c.bootDisk() {
		t.Error("the VM was left without a boot disk")
	}
	// Every step was followed by a kill (the last one's may find the
	// rollback done before the child asks again).
	if kills < len(steps)-1 {
		t.Errorf("%d kills for %d restore steps; the test did not kill between every two steps", kills, len(steps))
	}
	if observed < kills {
		t.Errorf("the VM was looked at after %d of %d kills", observed, kills)
	}
	t.Logf("%s: %d kills over restore steps %v; the VM had no boot disk after %d of them", backend, kills, steps, bare)
	// The thread says where the VM stood at each step it went through.
	told := map[string]bool{}
	for _, ev := range evs {
		if ev.Type == runbooks.EvRestoreStep || ev.Type == runbooks.EvRestoreStarted {
			told[ev.Data["step"]] = true
		}
	}
	if len(told) < 2 {
		t.Errorf("restore steps in the audit trail %v: want every step the VM went through", told)
	}
	if out := cli("audit", "verify"); !strings.Contains(out, "audit OK") {
		t.Fatalf("audit verify said: %s", out)
	}
}

// writeCloudCrashConfig: the tenant's production (four eyes, two
// approvers) is one host in c's cloud; the simulation answers sensors,
// health and paging, which this test does not exercise.
func writeCloudCrashConfig(t *testing.T, path, store, simState string, c crashCloud) {
	t.Helper()
	var b strings.Builder
	b.WriteString(store)
	simulate, stepTimeout := "sensors, health, pager, access", "10s"
	if c.simulate != "" {
		simulate = c.simulate
	}
	if c.stepTimeout != "" {
		stepTimeout = c.stepTimeout
	}
	fmt.Fprintf(&b, "engine: {tick: 20ms, lease_ttl: 20s, step_timeout: %s, workers: 4}\n", stepTimeout)
	fmt.Fprintf(&b, "providers:\n  kind: sim\n  sim: {seed: 11, hosts_per_target: 1, state_path: %s}\n", simState)
	fmt.Fprintf(&b, "  simulate: [%s]\n", simulate)
	b.WriteString(c.providers)
	b.WriteString("pipeline:\n")
	fmt.Fprintf(&b, "  - {env: nonprod, approvers: [%s], min_approvals: 1}\n", crashApprover)
	fmt.Fprintf(&b, "  - {env: production, approvers: [%s, %s, %s], min_approvals: 2, four_eyes: true}\n", crashApprover, crashSecond, crashReq)
	fmt.Fprintf(&b, "tenants:\n  - name: cascade-cu\n    environments:\n      production:\n        targets: [%s]\n", c.target)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRollbackCrashGCP: disks.insert from the snapshot, instances.stop,
// detachDisk, attachDisk (boot), start.
func TestRollbackCrashGCP(t *testing.T) {
	rollbackCloudCrash(t, func(t *testing.T, k *stepKiller) crashCloud {
		srv := gcptest.New(t)
		srv.OpsRunAlone, srv.OnStep, srv.OnRequest = true, k.step, k.request
		const project, zone, vm = "cascade-prod", "us-central1-a", "prod-app-01"
		srv.AddInstance(gcptest.Instance{Project: project, Zone: zone, Name: vm,
			OS:        &gcptest.OSInfo{ShortName: "debian", Version: "12", KernelRelease: "6.1.0-25-amd64"},
			Available: []gcptest.Package{{Manager: "apt", Name: "openssl", Version: "3.0.15-1", Arch: "amd64"}}})
		return crashCloud{
			providers: "  gcp:\n    credentials_file: " + srv.ServiceAccountFile(t) + "\n    compute_endpoint: " + srv.URL + "/compute/v1\n    osconfig_endpoint: " + srv.URL + "\n",
			target:    "{cloud: gcp, account: " + project + ", regions: [us-central1]}",
			steps:     []string{"/create-disk", vm + "/stop", vm + "/detachDisk", vm + "/attachDisk", vm + "/start"},
			restores:  func() int { return srv.Sent("", "create-disk") },
			bootDisk:  func() bool { return srv.BootDisk(project, zone, vm) != "" },
			bootless:  []string{vm + "/detachDisk", vm + "/attachDisk"},
		}
	})
}

// TestRollbackCrashAzure: Disks_CreateOrUpdate copying the snapshot,
// VirtualMachines_Deallocate, the OS-disk swap (VirtualMachines_Update),
// VirtualMachines_Start; the credential is the production
// DefaultAzureCredential path against the fake's identity endpoint.
func TestRollbackCrashAzure(t *testing.T) {
	rollbackCloudCrash(t, func(t *testing.T, k *stepKiller) crashCloud {
		srv := azuretest.New(t)
		srv.OpsRunAlone, srv.OnStep, srv.OnRequest = true, k.step, k.request
		const sub, rg, vm = "22222222-2222-2222-2222-222222222222", "rg-prod", "vm-app-1"
		id := srv.AddVM(azuretest.VM{Subscription: sub, ResourceGroup: rg, Name: vm, Location: "eastus",
			OSName: "ubuntu", OSVersion: "22.04", Agent: "Ready", AgentVersion: "2.10.0.8", CriticalAndSecurity: 1})
		original := azuretest.VM{Subscription: sub, ResourceGroup: rg, Name: vm}.OSDiskID()
		return crashCloud{
			providers: fmt.Sprintf("  azure: {credential: default, endpoint: %q}\n", srv.URL),
			target:    fmt.Sprintf("{cloud: azure, account: %q, groups: [%s]}", sub, rg),
			env:       srv.IdentityEnv(),
			steps:     []string{"/create-disk", vm + "/deallocate", vm + "/swap-os-disk", vm + "/start"},
			restores:  func() int { return srv.Sent("", "create-disk") },
			// Azure swaps the OS disk in one update: the VM has the restored
			// disk as its OS disk, running.
			bootDisk: func() bool {
				v, _ := srv.VMState(id)
				return v.OSDiskID() != "" && !strings.EqualFold(v.OSDiskID(), original) && v.PowerState == "running"
			},
			attached: func() bool { v, _ := srv.VMState(id); return v.OSDiskID() != "" },
		}
	})
}
