package test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// TestUpgradeInFlightFormat1 loads a store written by the release before
// record format 2 — cycles left in every in-flight state, operations
// running, a person's halt, a second approval missing, a completed cycle not
// yet archived — and checks that three replicas of this release pick every
// cycle up and complete it exactly once: every environment backed up and
// patched once, the approvals given before the upgrade kept, every audit
// chain whole.
func TestUpgradeInFlightFormat1(t *testing.T) { upgradeInFlight(t, "format1") }

// TestUpgradeInFlightFormat2 is the same upgrade from the release that wrote
// record format 2: inventories in blobs, per-host results in the records.
func TestUpgradeInFlightFormat2(t *testing.T) { upgradeInFlight(t, "format2") }

// TestUpgradeInFlightFormat3 is the same from the current record format,
// which the fixtures keep for the releases after this one: every blob in
// the cycle's own key space, and operations in flight with real-sized
// handles, so their handles are in blobs too.
func TestUpgradeInFlightFormat3(t *testing.T) {
	fx := readUpgradeFixture(t, "format3")
	handleBlobs := 0
	for _, r := range fx.Records {
		if strings.HasPrefix(r.Key, "cycles/active/") && strings.Contains(r.Value, `"handle_blob"`) {
			handleBlobs++
		}
	}
	if handleBlobs == 0 {
		t.Fatal("no cycle in the format-3 fixture keeps an operation's handle in a blob")
	}
	upgradeInFlight(t, "format3")
}

// upgradeInFlight replays the fixtures of an older record format with three
// replicas of this release and checks every cycle completes exactly once.
func upgradeInFlight(t *testing.T, format string) {
	fx := readUpgradeFixture(t, format)
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			st := b.open(t)
			simPath := loadFixture(t, st, fx, format, "sim.json")
			cfg, tenants := upgradeWorld(nil, simPath)
			cfg.HandleBytes = realHandleBytes
			h := newHarness(t, st, cfg, 3)
			h.clock.Set(fx.Clock)

			ids := fixtureCycles(t, fx)
			if len(ids) != len(tenants) {
				t.Fatalf("fixture holds %d cycles for %d tenants", len(ids), len(tenants))
			}
			for _, c := range mustActive(t, h) {
				if c.Status == runbooks.StatusHalted {
					if _, err := h.engines[1].Decide(ctx, runbooks.Decision{Cycle: c.ID, Action: runbooks.Resume, Actor: alice}); err != nil {
						t.Fatalf("resume %s after the upgrade: %v", c.ID, err)
					}
				}
			}
			h.runToEnd(ctx, 80)

			for _, c := range h.checkCompletedOnce(ctx, tenants, ids) {
				events, err := h.engines[0].Events(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				if int64(len(events)) != c.Revision {
					t.Errorf("%s (%s): %d audit events, revision %d", c.ID, fx.Targets[c.Tenant], len(events), c.Revision)
				}
				if c.Format != runbooks.RecordFormat {
					t.Errorf("%s: archived in record format %d, want %d", c.ID, c.Format, runbooks.RecordFormat)
				}
				completed := 0
				for _, ev := range events {
					if ev.Type == runbooks.EvCycleCompleted {
						completed++
					}
				}
				if completed != 1 {
					t.Errorf("%s (%s): completed %d times, want once", c.ID, fx.Targets[c.Tenant], completed)
				}
			}
			if blobs, err := st.List(ctx, "blobs/"); err != nil || len(blobs) == 0 {
				t.Errorf("no blobs after the upgrade (%v): format 2 was never written", err)
			}
			verifyAllStreams(t, st)
		})
	}
}

// realHandleBytes gives the simulation's handles the real providers' sizes
// (AWS ~60 B per instance, Azure ~760 B per machine), so operations started
// after the upgrade keep their handles in blobs.
var realHandleBytes = map[runbooks.Cloud]int{runbooks.AWS: 60, runbooks.Azure: 760}

func mustActive(t *testing.T, h *harness) []*runbooks.Cycle {
	t.Helper()
	cs, err := h.engines[0].Active(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func readUpgradeFixture(t *testing.T, format string) upgradeFixture {
	t.Helper()
	return readUpgradeFixtureFile(t, format, "store.json")
}

// loadFixture writes the fixture's records and streams into st as the old
// release left them, and copies the fleet's state saved beside it
// (testdata/upgrade/<format>/<simFile>) to a temporary file, whose path it
// returns.
func loadFixture(t *testing.T, st state.Store, fx upgradeFixture, format, simFile string) (simPath string) {
	t.Helper()
	simPath = filepath.Join(t.TempDir(), "sim.json")
	copyFile(t, filepath.Join("testdata", "upgrade", format, simFile), simPath)
	ctx := context.Background()
	for _, r := range fx.Records {
		if _, err := st.Create(ctx, r.Key, []byte(r.Value)); err != nil {
			t.Fatalf("load %s: %v", r.Key, err)
		}
	}
	for name, entries := range fx.Streams {
		for i, data := range entries {
			if _, err := st.AppendAt(ctx, name, int64(i+1), []byte(data)); err != nil {
				t.Fatalf("load %s entry %d: %v", name, i+1, err)
			}
		}
	}
	return simPath
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestUpgradeInFlightRollingUpdate is the rolling update from the format-1
// release: while replicas of the old release still share the store, the
// new release's replicas write format 1 (engine.record_format: 1), so
// everything an old replica reads is what it can read; once the old
// release is gone, replicas writing format 2 take over the cycles in
// flight, and every cycle completes exactly once.
func TestUpgradeInFlightRollingUpdate(t *testing.T) {
	fx := readUpgradeFixture(t, "format1")
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			st := b.open(t)
			simPath := loadFixture(t, st, fx, "format1", "sim.json")
			cfg, tenants := upgradeWorld(nil, simPath)
			cfg.HandleBytes = realHandleBytes
			h := newHarness(t, st, cfg, 0)
			h.clock.Set(fx.Clock)
			h.engines = []*runbooks.Engine{replicaWriting(t, h, tenants, "rolling-0", 1), replicaWriting(t, h, tenants, "rolling-1", 1)}
			ids := fixtureCycles(t, fx)
			for _, c := range mustActive(t, h) {
				if c.Status == runbooks.StatusHalted {
					if _, err := h.engines[0].Decide(ctx, runbooks.Decision{Cycle: c.ID, Action: runbooks.Resume, Actor: alice}); err != nil {
						t.Fatal(err)
					}
				}
			}
			for range 10 { // half-way through the longest cycle
				h.tickAll(ctx)
				h.approveWaiting(ctx)
				h.tickAll(ctx)
				h.clock.Advance(time.Hour)
			}
			checkFormat1Store(t, st)

			h.engines = []*runbooks.Engine{replicaWriting(t, h, tenants, "new-0", 2), replicaWriting(t, h, tenants, "new-1", 2)}
			h.runToEnd(ctx, 80)
			for _, c := range h.checkCompletedOnce(ctx, tenants, ids) {
				events, err := h.engines[0].Events(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				if int64(len(events)) != c.Revision {
					t.Errorf("%s (%s): %d audit events, revision %d", c.ID, fx.Targets[c.Tenant], len(events), c.Revision)
				}
			}
			verifyAllStreams(t, st)
		})
	}
}

// replicaWriting is one more engine over h's store, fleet and chat that
// writes record format format.
func replicaWriting(t *testing.T, h *harness, tenants []runbooks.Tenant, name string, format int) *runbooks.Engine {
	t.Helper()
	e, err := runbooks.New(runbooks.Config{Replica: name, Workers: 8, LeaseTTL: 30 * time.Second, WriteFormat: format},
		runbooks.Deps{Store: h.store, Clock: h.clock, Inventory: h.fleet, Sensors: h.fleet, Backups: h.fleet,
			Patcher: h.fleet, Health: h.fleet, Pager: h.fleet, Directory: h.fleet, Chat: h.chat,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Reporter: &reports.Dir{Path: t.TempDir(), Now: h.clock.Now}},
		tenants, testPipeline())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// checkFormat1Store asserts st holds only what a format-1 release reads:
// cycle records without a format or blob handles, inventories as host
// arrays, no blobs.
func checkFormat1Store(t *testing.T, st state.Store) {
	t.Helper()
	recs, err := st.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	cycles := 0
	for _, r := range recs {
		switch {
		case strings.HasPrefix(r.Key, "blobs/"):
			t.Errorf("%s: a blob, which a format-1 release never reads", r.Key)
		case strings.HasPrefix(r.Key, "inventory/"):
			var hosts []runbooks.Host
			if err := json.Unmarshal(r.Value, &hosts); err != nil {
				t.Errorf("%s: not a format-1 inventory: %v", r.Key, err)
			}
		case strings.HasPrefix(r.Key, "cycles/"):
			cycles++
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(r.Value, &raw); err != nil {
				t.Fatal(err)
			}
			if _, ok := raw["format"]; ok || strings.Contains(string(r.Value), `"handle_blob"`) {
				t.Errorf("%s: not a format-1 cycle record", r.Key)
			}
		}
	}
	if cycles == 0 {
		t.Error("no cycle records to check")
	}
}

// fixtureCycles maps each tenant to the cycle the fixture holds for it.
func fixtureCycles(t *testing.T, fx upgradeFixture) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, r := range fx.Records {
		if strings.HasPrefix(r.Key, "cycles/active/") {
			var c struct{ ID, Tenant string }
			if err := json.Unmarshal([]byte(r.Value), &c); err != nil {
				t.Fatal(err)
			}
			ids[c.Tenant] = c.ID
		}
	}
	return ids
}
