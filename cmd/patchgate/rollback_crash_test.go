package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// The rollback crash test runs `serve` as a child process (this test
// binary), lets one cycle finish, requests a rollback of production (four
// eyes, two approvers) through the CLI, and SIGKILLs the child as soon as
// the rollback's record moves: between every two steps of every host's
// restore (AWS replace-root-volume; Azure disk, deallocate, swap, start;
// GCP disk, stop, detach, attach, start). Each host must be restored
// exactly once, every host must end with its boot disk, and the audit
// log must verify.

const rollbackChildEnv = "PATCHGATE_ROLLBACK_CHILD"

func TestRollbackCrashResume(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test runs only without -short")
	}
	for _, backend := range []string{"bolt", "redis"} {
		t.Run(backend, func(t *testing.T) { rollbackCrashRun(t, backend) })
	}
}

func rollbackCrashRun(t *testing.T, backend string) {
	dir := t.TempDir()
	tenants := sim.GenerateTenants(1, 11)
	cfgPath := filepath.Join(dir, "patchgate.yaml")
	writeRollbackConfig(t, cfgPath, crashStoreYAML(t, backend, dir, "rbcrash"), filepath.Join(dir, "sim.json"), tenants)
	reports := filepath.Join(dir, "reports")
	ctx := context.Background()
	cli := cliFor(t, cfgPath)

	out := cli("cycle", "start", tenants[0].Name, "--as", crashReq)
	cycle := strings.Fields(strings.TrimPrefix(out, "started "))[0]
	child, _ := startChild(t, rollbackChild, cfgPath, reports)
	waitChild(t, child, 3*time.Minute)

	out = cli("rollback", "request", cycle, "production", "--as", crashReq, "--reason", "regression after patching")
	rbID := strings.Fields(strings.TrimPrefix(out, "requested "))[0]
	if !strings.Contains(out, "ami-sim") || !strings.Contains(out, "snap-sim") {
		t.Fatalf("rollback request did not list each host's backup:\n%s", out)
	}

	kills := 0
	last := rollbackRevision(t, cfgPath, rbID)
	deadline := time.Now().Add(4 * time.Minute)
	for kills < 60 && time.Now().Before(deadline) {
		child, ready := startChild(t, rollbackChild, cfgPath, reports)
		select {
		case <-ready:
		case <-time.After(time.Until(deadline)):
			t.Fatalf("child never started\n%s", tail(child.Stderr.(*bytes.Buffer).String(), 4000))
		}
		done := make(chan error, 1)
		go func() { done <- child.Wait() }()
		moved := false
		for !moved {
			select {
			case <-done: // the rollback finished and the child stopped
				goto finished
			case <-time.After(5 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				_ = child.Process.Kill()
				<-done
				t.Fatalf("the rollback stopped moving after %d kills: %+v\n%s", kills, readRollback(t, cfgPath, rbID), tail(child.Stderr.(*bytes.Buffer).String(), 4000))
			}
			rev, open := rollbackProgress(t, cfgPath, backend, rbID)
			moved = rev > last || !open
			if moved {
				last = rev
			}
		}
		_ = child.Process.Signal(syscall.SIGKILL)
		<-done
		kills++
	}
	// Whatever is left, the last child finishes.
	waitChild(t, func() *exec.Cmd { c, _ := startChild(t, rollbackChild, cfgPath, reports); return c }(), 3*time.Minute)
finished:
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	a, err := build(ctx, cfg, wiring{reports: reports})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := a.engine.GetRollback(ctx, rbID)
	if err != nil {
		t.Fatal(err)
	}
	if rb.Status != runbooks.RollbackCompleted || !rb.Marked {
		t.Fatalf("rollback %s is %s (marked %v): %+v", rb.ID, rb.Status, rb.Marked, rb.Failure)
	}
	sends := a.fleet.RestoreSends()
	for _, h := range rb.Hosts {
		if len(sends[h.Host.ID]) == 0 {
			t.Errorf("%s was never restored", h.Host.Name)
		}
		for step, n := range sends[h.Host.ID] {
			if n != 1 {
				t.Errorf("%s: step %s sent %d times, want exactly once", h.Host.Name, step, n)
			}
		}
		if !a.fleet.BootDiskAttached(h.Host.ID) {
			t.Errorf("%s left without a boot disk", h.Host.Name)
		}
	}
	a.store.Close()
	t.Logf("%s: %d kills while rolling back %d hosts", backend, kills, len(rb.Hosts))
	if kills < 8 {
		t.Errorf("only %d kills landed during the rollback; the test did not test crashes", kills)
	}
	if out := cli("audit", "verify"); !strings.Contains(out, "audit OK") {
		t.Fatalf("audit verify said: %s", out)
	}
	// With the cycle and the rollback finished, retention may take every
	// backup past the age; a dry run lists them and deletes nothing.
	if out := cli("rollback", "prune", "--dry-run", "--older-than", "1ns"); !strings.Contains(out, "would delete image ami-sim") || !strings.Contains(out, "0 kept past the age") {
		t.Errorf("rollback prune --dry-run said: %s", out)
	}
}

// rollbackProgress reads the rollback's revision and whether it is still
// open, with no child holding the store (bolt) or beside it (redis).
func rollbackProgress(t *testing.T, cfgPath, backend, id string) (int64, bool) {
	t.Helper()
	if backend == "bolt" {
		// bbolt's file is locked by the running child: go by the sim's
		// state file instead, which every restore step rewrites.
		return simStateStamp(t, cfgPath), true
	}
	return rollbackRevision(t, cfgPath, id), rollbackOpen(t, cfgPath, id)
}

func rollbackRevision(t *testing.T, cfgPath, id string) int64 {
	t.Helper()
	rb := readRollback(t, cfgPath, id)
	if rb == nil {
		return 0
	}
	return rb.Revision
}

func rollbackOpen(t *testing.T, cfgPath, id string) bool {
	rb := readRollback(t, cfgPath, id)
	return rb != nil && !rb.Status.Terminal()
}

// readRollback reads the rollback's record straight from the store (no
// simulated fleet is built: loading the sim's state beside a running child
// would sweep the child's half-written state file).
func readRollback(t *testing.T, cfgPath, id string) *runbooks.Rollback {
	t.Helper()
	ctx := context.Background()
	st, _, err := openStoreFromFile(ctx, cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, key := range []string{"runbooks/rollback/active/" + id, "runbooks/rollback/done/" + id} {
		r, err := st.Get(ctx, key)
		if err != nil {
			continue
		}
		var rb runbooks.Rollback
		if err := json.Unmarshal(r.Value, &rb); err != nil {
			t.Fatal(err)
		}
		return &rb
	}
	return nil
}

// simStateStamp changes whenever the simulated clouds were asked to do
// something (each restore step rewrites the sim's state file).
func simStateStamp(t *testing.T, cfgPath string) int64 {
	fi, err := os.Stat(filepath.Join(filepath.Dir(cfgPath), "sim.json"))
	if err != nil {
		return 0
	}
	return fi.ModTime().UnixNano() + fi.Size()
}

func waitChild(t *testing.T, child *exec.Cmd, limit time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- child.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("child: %v\n%s", err, tail(child.Stderr.(*bytes.Buffer).String(), 4000))
		}
	case <-time.After(limit):
		_ = child.Process.Kill()
		<-done
		t.Fatalf("child did not finish in %s\n%s", limit, tail(child.Stderr.(*bytes.Buffer).String(), 4000))
	}
}

// TestRollbackCrashChild is the child: serve, with approvers who approve
// every waiting cycle stage and rollback; it exits once nothing is open.
func TestRollbackCrashChild(t *testing.T) { serveAsChild(t, rollbackChild) }

func writeRollbackConfig(t *testing.T, path, store, simState string, tenants []runbooks.Tenant) {
	t.Helper()
	var b strings.Builder
	b.WriteString(store)
	b.WriteString("engine: {tick: 20ms, lease_ttl: 20s, step_timeout: 10s, workers: 4}\n")
	fmt.Fprintf(&b, "providers:\n  kind: sim\n  sim: {seed: 11, hosts_per_target: 1, op_duration: 300ms, latency: 2ms, state_path: %s}\n", simState)
	fmt.Fprintf(&b, "pipeline:\n")
	fmt.Fprintf(&b, "  - {env: nonprod, approvers: [%s], min_approvals: 1, sensor_gate: true}\n", crashApprover)
	fmt.Fprintf(&b, "  - {env: staging, approvers: [%s], min_approvals: 1, soak: 300ms, sensor_gate: true}\n", crashApprover)
	fmt.Fprintf(&b, "  - {env: production, approvers: [%s, %s, %s], min_approvals: 2, four_eyes: true, health_gate: true, sensor_gate: true}\n", crashApprover, crashSecond, crashReq)
	b.WriteString(tenantsYAML(tenants))
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}
