package test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

func TestTransientPagerErrors(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			bad := hostName(tn, "nonprod", "app-01")
			h := newGateHarness(t, b, sim.Faults{PatchFail: []string{bad}})
			c := h.start(ctx, tn)
			c = h.runUntil(ctx, c.ID, "nonprod fails", halted)
			failedStage(t, c, "nonprod", runbooks.PhasePatch)
			if err := h.fleet.FixHost(bad); err != nil {
				t.Fatal(err)
			}
			if err := h.fleet.SetErrorEvery(sim.MethodAcknowledge, 1); err != nil {
				t.Fatal(err)
			}
			h.mustDecide(ctx, c.ID, "nonprod", runbooks.Retry, alice)
			h.ticks(ctx, 4)
			if st := h.fleet.Stats(); st.InjectedErrors[sim.MethodAcknowledge] < 3 {
				t.Fatalf("only %d acknowledgements failed", st.InjectedErrors[sim.MethodAcknowledge])
			}
			// The pager is back; the next StartPatch (call 2) fails once.
			if err := h.fleet.SetErrorEvery(sim.MethodAcknowledge, 0); err != nil {
				t.Fatal(err)
			}
			if err := h.fleet.SetErrorEvery(sim.MethodStartPatch, 2); err != nil {
				t.Fatal(err)
			}
			c = h.finish(ctx, c.ID)
			st := h.fleet.Stats()
			if st.InjectedErrors[sim.MethodStartPatch] < 1 || st.PageTriggers != 1 {
				t.Errorf("%d StartPatch errors, %d pages; want ≥1 and 1", st.InjectedErrors[sim.MethodStartPatch], st.PageTriggers)
			}
			checkIncident(t, st, runbooks.IncidentKey(c.ID, "nonprod"), sim.IncidentResolved, 1, 1, 1)
		})
	}
}

// TestTransientPollErrorsRetry: a patch whose status cannot be read fails
// the stage after MaxErrors polls; the retry polls the patch already
// running instead of sending a second one to the same hosts.
func TestTransientPollErrorsRetry(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			h := newGateHarness(t, b, sim.Faults{ErrorEvery: map[string]int{sim.MethodPatchStatus: 1}})
			c := h.start(ctx, tn)
			c = h.runUntil(ctx, c.ID, "nonprod fails", halted)
			np := failedStage(t, c, "nonprod", runbooks.PhasePatch)
			if !strings.Contains(np.Failure.Reason, "poll_patch failed 3 times") {
				t.Errorf("failure reason %q", np.Failure.Reason)
			}
			handle := np.Patch.Handle
			if err := h.fleet.SetErrorEvery(sim.MethodPatchStatus, 0); err != nil {
				t.Fatal(err)
			}
			h.mustDecide(ctx, c.ID, "nonprod", runbooks.Retry, alice)
			c = h.finish(ctx, c.ID)
			np, _ = c.Stage("nonprod")
			st := h.fleet.Stats()
			if st.Patches.ByScope[tn+"/nonprod"] != 1 || np.Patch.Handle != handle {
				t.Errorf("nonprod patched %d times, final handle %s; want 1 and the first patch %s", st.Patches.ByScope[tn+"/nonprod"], np.Patch.Handle, handle)
			}
		})
	}
}

// TestGateOneActiveCyclePerTenant: starts of one tenant racing on every
// replica (a double-clicked /patch start, a redelivered command) open
// exactly one cycle; every other start is refused as a conflict.
func TestGateOneActiveCyclePerTenant(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tenants := sim.GenerateTenants(30, gateSeed)
			h := newHarness(t, b.open(t), sim.Config{Seed: gateSeed, Tenants: tenants, HostsPerTarget: 1}, 3)
			for _, tn := range tenants {
				const starts = 6
				ids := make([]string, starts)
				errs := make([]error, starts)
				var wg sync.WaitGroup
				for i := range starts {
					wg.Add(1)
					go func() {
						defer wg.Done()
						c, err := h.engines[i%len(h.engines)].Start(ctx, tn.Name, requester)
						if err == nil {
							ids[i] = c.ID
						}
						errs[i] = err
					}()
				}
				wg.Wait()
				won := 0
				for i, err := range errs {
					switch {
					case err == nil:
						won++
					case runbooks.ErrorCode(err) != runbooks.CodeConflict:
						t.Errorf("%s: start %d refused with %v, want a conflict", tn.Name, i, err)
					}
				}
				if won != 1 {
					t.Errorf("%s: %d of %d concurrent starts opened a cycle (%v), want 1", tn.Name, won, starts, ids)
				}
			}
			active, err := h.engines[0].Active(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(active) != len(tenants) {
				t.Errorf("%d active cycles for %d tenants", len(active), len(tenants))
			}
		})
	}
}
