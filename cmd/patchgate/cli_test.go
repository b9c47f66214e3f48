package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/boltstore"
)

// cliConfig writes a small valid configuration on a bolt file in dir.
func cliConfig(t *testing.T, dir string, opDuration time.Duration) string {
	t.Helper()
	path := filepath.Join(dir, "patchgate.yaml")
	yaml := fmt.Sprintf(`store: {backend: bolt, bolt: {path: %s}}
engine: {tick: 20ms, lease_ttl: 5s, step_timeout: 1s}
providers: {kind: sim, sim: {seed: 2, hosts_per_target: 1, op_duration: %s}}
pipeline:
  - {env: nonprod, approvers: [U0ALICE001], min_approvals: 1}
  - {env: production, approvers: [U0ALICE001, U0BOB00002], min_approvals: 2, four_eyes: true, health_gate: true}
tenants:
  - name: acme-cu
    environments:
      nonprod:
        targets:
          - {cloud: aws, account: "111111111111", regions: [us-east-1]}
      production:
        targets:
          - {cloud: aws, account: "222222222222", regions: [us-east-1]}
`, filepath.Join(dir, "state.db"), opDuration)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigValidateExitCodes(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	if code := run(ctx, []string{"config", "validate", "../../deploy/examples/patchgate.yaml"}, &out, &out); code != 0 {
		t.Fatalf("example config: exit %d: %s", code, out.String())
	}
	if !strings.Contains(out.String(), "OK (3 tenants") {
		t.Errorf("validate said %q", out.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("store:\n  backend: postgres\nengine:\n  tick: 5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run(ctx, []string{"config", "validate", bad}, &out, &out); code != 1 {
		t.Fatalf("invalid config: exit %d, want 1: %s", code, out.String())
	}
	for _, want := range []string{bad + ":2: store.backend:", bad + ":4: engine.tick:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := run(ctx, []string{"config", "validate", filepath.Join(t.TempDir(), "missing.yaml")}, &out, &out); code != 2 {
		t.Errorf("missing file: exit %d, want 2", code)
	}
}

// TestAuditVerifyDetectsEdit runs a cycle, verifies the log, edits one
// entry in the bolt file behind the store's back and verifies again.
func TestAuditVerifyDetectsEdit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfgPath := cliConfig(t, dir, 0)
	var out bytes.Buffer
	if code := run(ctx, []string{"cycle", "start", "acme-cu", "--as", "U0REQ00001", "--config", cfgPath}, &out, &out); code != 0 {
		t.Fatalf("cycle start: %d %s", code, out.String())
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	a, err := build(ctx, cfg, wiring{reports: dir})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := a.engine.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	active, _ := a.engine.Active(ctx)
	if len(active) != 1 || active[0].Revision < 3 {
		t.Fatalf("want one cycle with a few events, got %d", len(active))
	}
	id := active[0].ID
	a.store.Close()

	out.Reset()
	if code := run(ctx, []string{"audit", "verify", "--config", cfgPath}, &out, &out); code != 0 || !strings.Contains(out.String(), "audit OK") {
		t.Fatalf("clean log: exit %d: %s", code, out.String())
	}

	editEntry(t, cfg.Store.Bolt.Path, runbooks.AuditStream(id), 2)
	out.Reset()
	code := run(ctx, []string{"audit", "verify", "--config", cfgPath}, &out, &out)
	if code != 1 {
		t.Fatalf("edited log: exit %d, want 1: %s", code, out.String())
	}
	want := "BROKEN " + runbooks.AuditStream(id) + " at entry 2: content does not match its hash"
	if !strings.Contains(out.String(), want) {
		t.Errorf("verify said %q, want %q", out.String(), want)
	}
}

// editEntry rewrites one audit entry's data in the bbolt file directly, as
// someone with file access would.
func editEntry(t *testing.T, path, stream string, seq int64) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("streams")).Bucket([]byte(stream))
		if b == nil {
			return errors.New("no stream bucket " + stream)
		}
		k := binary.BigEndian.AppendUint64(nil, uint64(seq))
		var e state.Entry
		if err := json.Unmarshal(b.Get(k), &e); err != nil {
			return err
		}
		e.Data = bytes.Replace(e.Data, []byte("patchgate"), []byte("someone"), 1)
		raw, err := json.Marshal(e)
		if err != nil {
			return err
		}
		return b.Put(k, raw)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestServeDrains starts serve with a backup running (so the engine keeps
// the cycle's lease between ticks), cancels it as SIGTERM would, and checks
// it returns, frees the lease and closes the store (the file lock is
// released, so another process can open it at once).
func TestServeDrains(t *testing.T) {
	dir := t.TempDir()
	cfgPath := cliConfig(t, dir, time.Hour)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan *app, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, wiring{reports: dir, ready: func(a *app) { started <- a }})
	}()
	a := <-started
	c, err := a.engine.Start(ctx, "acme-cu", "U0REQ00001")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, a.engine, c.ID, func(c *runbooks.Cycle) bool { return c.Stages[1].Phase == runbooks.PhaseApproval })
	if _, err := a.engine.Decide(ctx, runbooks.Decision{Cycle: c.ID, Stage: "nonprod", Action: runbooks.Approve, Actor: "U0ALICE001"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, a.engine, c.ID, func(c *runbooks.Cycle) bool { return c.Stages[1].Backup.Handle != "" })
	polled := a.fleet.Stats().Calls[sim.MethodBackupStatus]
	testkit.Eventually(t, 10*time.Second, "two more polls of the running backup", func() bool {
		return a.fleet.Stats().Calls[sim.MethodBackupStatus] >= polled+2
	})
	if _, err := a.store.AcquireLease(ctx, "cycle/"+c.ID, "other", time.Second); !errors.Is(err, state.ErrLeaseHeld) {
		t.Fatalf("lease of the polling cycle not kept by the engine: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not drain within 10s")
	}
	st, err := boltstore.Open(cfg.Store.Bolt.Path, boltstore.WithLockTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatalf("store still locked after serve returned: %v", err)
	}
	defer st.Close()
	if _, err := st.AcquireLease(context.Background(), "cycle/"+c.ID, "other", time.Second); err != nil {
		t.Errorf("cycle lease not released on shutdown: %v", err)
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"version"}, &out, &out); code != 0 || !strings.HasPrefix(out.String(), "patchgate dev (commit none") {
		t.Errorf("version: %d %q", code, out.String())
	}
}

// waitFor polls a cycle until cond holds, for up to 60 s (a loaded CI
// box runs the engine's 20 ms ticks late).
func waitFor(t *testing.T, e *runbooks.Engine, id string, cond func(*runbooks.Cycle) bool) {
	t.Helper()
	testkit.Eventually(t, 60*time.Second, "cycle "+id+" to reach the expected state", func() bool {
		c, err := e.Get(context.Background(), id)
		return err == nil && cond(c)
	})
}
