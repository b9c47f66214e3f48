package test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// TestRecordSizePerHostResults: a sensor gate that fails a whole staging
// environment (1,200 hosts) names every host in its findings, its failure
// and, after proceed-with-exclusions, the stage's exclusions. Those lists
// live in blobs of the cycle, so the cycle record stays under 64 KB at
// every step, while the cycle read back still holds every host and the
// excluded hosts are never patched.
func TestRecordSizePerHostResults(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant()
			h := newHarness(t, b.open(t), sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{tn},
				HostsPerTarget: 400, Faults: sim.Faults{KernelMismatch: []string{tn.Name + "/staging"}}}, 2)
			c := h.start(ctx, tn.Name)
			largest := 0
			measure := func() {
				t.Helper()
				for _, key := range []string{"cycles/active/" + c.ID, "cycles/done/" + c.ID} {
					r, err := h.store.Get(ctx, key)
					if errors.Is(err, state.ErrNotFound) {
						continue
					}
					if err != nil {
						t.Fatal(err)
					}
					largest = max(largest, len(r.Value))
				}
			}
			for range 60 {
				h.tickAll(ctx)
				measure()
				if c = h.cycle(ctx, c.ID); c.Status == runbooks.StatusHalted {
					break
				}
				h.approveWaiting(ctx)
				h.clock.Advance(time.Hour)
			}
			stg := failedStage(t, c, "staging", runbooks.PhaseSensors)
			want := len(stg.Failure.Findings)
			if want < 1000 {
				t.Fatalf("staging failed on %d host(s), want the whole environment (1,200)", want)
			}
			if g := stg.Gates[len(stg.Gates)-1]; len(g.Findings) != want {
				t.Errorf("sensor gate read back with %d findings, want %d", len(g.Findings), want)
			}
			excluded := findingNames(stg.Failure.Findings)

			c = h.mustDecide(ctx, c.ID, "staging", runbooks.Exclude, alice)
			measure()
			if stg, _ = c.Stage("staging"); len(stg.Exclusions) != want || c.Scope.Excluded != want {
				t.Fatalf("after exclusions: %d excluded, scope %+v; want %d", len(stg.Exclusions), c.Scope, want)
			}
			for range 60 {
				h.tickAll(ctx)
				measure()
				if active := mustActive(t, h); len(active) == 0 {
					break
				}
				h.approveWaiting(ctx)
				h.clock.Advance(time.Hour)
			}
			c = h.cycle(ctx, c.ID)
			if c.Status != runbooks.StatusCompleted {
				t.Fatalf("cycle %s, want completed", c.Status)
			}
			if stg, _ = c.Stage("staging"); len(stg.Exclusions) != want {
				t.Errorf("archived cycle read back with %d exclusions, want %d", len(stg.Exclusions), want)
			}
			checkPatched(t, h.fleet, nil, excluded[:10])
			t.Logf("largest cycle record %d B with %d hosts excluded", largest, want)
			if largest >= 64<<10 {
				t.Errorf("largest cycle record %d B, want under 64 KB", largest)
			}
		})
	}
}
