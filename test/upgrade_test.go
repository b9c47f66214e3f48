package test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
func TestUpgradeInFlightFormat1(t *testing.T) {
	fx := readUpgradeFixture(t, "format1")
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			st := b.open(t)
			loadFixture(t, st, fx)
			simPath := filepath.Join(t.TempDir(), "sim.json")
			copyFile(t, filepath.Join("testdata", "upgrade", "format1", "sim.json"), simPath)
			cfg, tenants := upgradeWorld(nil, simPath)
			h := newHarness(t, st, cfg, 3)
			h.clock.Set(fx.Clock)

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
			verifyAllStreams(t, st)
		})
	}
}

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
	b, err := os.ReadFile(filepath.Join("testdata", "upgrade", format, "store.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fx upgradeFixture
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatalf("decode upgrade fixture %s: %v", format, err)
	}
	return fx
}

// loadFixture writes the fixture's records and streams into st as the old
// release left them.
func loadFixture(t *testing.T, st state.Store, fx upgradeFixture) {
	t.Helper()
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
