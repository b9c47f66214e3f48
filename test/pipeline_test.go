package test

import (
	"context"
	"testing"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// TestPipelineManyTenants runs 200 tenants' full cycles on each backend with
// three engine replicas sharing the store and racing every tick and every
// approval, then checks every environment was backed up and patched exactly
// once per tenant, every approval was kept, and every audit chain verifies.
func TestPipelineManyTenants(t *testing.T) {
	n := 200
	switch {
	case testing.Short():
		n = 20
	case testkit.RaceEnabled:
		// Under the race detector 200 tenants on both backends take three
		// and a half minutes of CI on two cores; 50 still keep three
		// replicas racing for every cycle's steps.
		n = 50
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			st := b.open(t)
			tenants := sim.GenerateTenants(n, 7)
			h := newHarness(t, st, sim.Config{Seed: 7, Tenants: tenants, HostsPerTarget: 2}, 3)
			ids := map[string]string{}
			for i, tn := range tenants {
				c, err := h.engines[i%3].Start(ctx, tn.Name, requester)
				if err != nil {
					t.Fatal(err)
				}
				ids[tn.Name] = c.ID
			}
			h.runToEnd(ctx, 40)

			for _, c := range h.checkCompletedOnce(ctx, tenants, ids) {
				events, err := h.engines[0].Events(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				if int64(len(events)) != c.Revision {
					t.Errorf("%s: %d audit events, revision %d", c.ID, len(events), c.Revision)
				}
				if got := len(h.chat.Events(c.ID)); int64(got) != c.Revision {
					t.Errorf("%s: chat saw %d distinct events, want %d", c.ID, got, c.Revision)
				}
			}
			verifyAllStreams(t, st)
		})
	}
}

// checkCompletedOnce asserts every tenant's cycle completed with the
// approvals given, each environment backed up and patched exactly once and
// no operation sent twice, and returns the cycles.
func (h *harness) checkCompletedOnce(ctx context.Context, tenants []runbooks.Tenant, ids map[string]string) []*runbooks.Cycle {
	t := h.t
	t.Helper()
	stats := h.fleet.Stats()
	var out []*runbooks.Cycle
	for _, tn := range tenants {
		for _, env := range []string{"nonprod", "staging", "production"} {
			scope := tn.Name + "/" + env
			if got := stats.Patches.ByScope[scope]; got != 1 {
				t.Errorf("%s: patch started %d times, want exactly 1", scope, got)
			}
			if got := stats.Backups.ByScope[scope]; got != 1 {
				t.Errorf("%s: backup started %d times, want exactly 1", scope, got)
			}
		}
		c, err := h.engines[0].Get(ctx, ids[tn.Name])
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != runbooks.StatusCompleted {
			t.Errorf("%s: status %s, want completed", c.ID, c.Status)
		}
		checkApprovals(t, c)
		out = append(out, c)
	}
	if stats.Patches.Duplicates != 0 || stats.Backups.Duplicates != 0 {
		t.Errorf("duplicate operations: patches %d backups %d", stats.Patches.Duplicates, stats.Backups.Duplicates)
	}
	return out
}

// checkApprovals asserts each environment kept exactly the approvals given:
// alice for nonprod and staging, alice and bob for production.
func checkApprovals(t testing.TB, c *runbooks.Cycle) {
	t.Helper()
	for _, s := range c.Stages {
		if s.Kind != runbooks.KindEnvironment {
			continue
		}
		want := approversFor(&s)
		if len(s.Approvals) != len(want) {
			t.Errorf("%s %s: %d approvals, want %d", c.ID, s.Name, len(s.Approvals), len(want))
			continue
		}
		for i, a := range s.Approvals {
			if a.By != want[i] {
				t.Errorf("%s %s: approval %d by %s, want %s", c.ID, s.Name, i, a.By, want[i])
			}
		}
	}
}
