package test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// TestPatchGateRetry: a host whose patch fails stops the stage naming it;
// each retry sends the patch again under a new attempt tag, never twice
// under one; a retry that fails again pages again on the same incident.
func TestPatchGateRetry(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			bad := hostName(tn, "nonprod", "app-01")
			h := newGateHarness(t, b, sim.Faults{PatchFail: []string{bad}})
			c := h.start(ctx, tn)
			c = h.runUntil(ctx, c.ID, "nonprod fails", halted)
			np := failedStage(t, c, "nonprod", runbooks.PhasePatch)
			if len(np.Failure.Findings) != 1 || np.Failure.Findings[0].HostName != bad || !strings.Contains(np.Failure.Findings[0].Reason, "exit code 1") {
				t.Fatalf("patch findings %+v, want only %s with its exit code", np.Failure.Findings, bad)
			}
			if !strings.Contains(np.Failure.Reason, "patch failed on 1 host(s)") {
				t.Errorf("failure reason %q", np.Failure.Reason)
			}
			tag := func(attempt int) string { return fmt.Sprintf("%s/nonprod/patch/%d", c.ID, attempt) }
			if np.Patch.Tag != tag(0) {
				t.Errorf("first patch tag %q, want %q", np.Patch.Tag, tag(0))
			}

			// Retry without a repair: attempt 1 fails the same way.
			h.mustDecide(ctx, c.ID, "nonprod", runbooks.Retry, alice)
			c = h.runUntil(ctx, c.ID, "nonprod fails again", halted)
			np = failedStage(t, c, "nonprod", runbooks.PhasePatch)
			if np.Attempt != 1 || np.Patch.Tag != tag(1) {
				t.Errorf("second failure at attempt %d tag %q, want 1 and %q", np.Attempt, np.Patch.Tag, tag(1))
			}
			key := runbooks.IncidentKey(c.ID, "nonprod")
			h.ticks(ctx, 3)
			checkIncident(t, h.fleet.Stats(), key, sim.IncidentAcknowledged, 2, 1, 0)

			if err := h.fleet.FixHost(bad); err != nil {
				t.Fatal(err)
			}
			h.mustDecide(ctx, c.ID, "nonprod", runbooks.Retry, alice)
			c = h.finish(ctx, c.ID)
			np, _ = c.Stage("nonprod")
			if np.Attempt != 2 || np.Patch.Tag != tag(2) {
				t.Errorf("final attempt %d tag %q, want 2 and %q", np.Attempt, np.Patch.Tag, tag(2))
			}
			st := h.fleet.Stats()
			for a := range 3 {
				if st.Patches.ByTag[tag(a)] != 1 {
					t.Errorf("patch %s sent %d times, want 1", tag(a), st.Patches.ByTag[tag(a)])
				}
			}
			if st.Patches.ByScope[tn+"/nonprod"] != 3 || st.Patches.Duplicates != 0 {
				t.Errorf("nonprod patches %d, duplicates %d; want 3 attempts, 0 duplicates", st.Patches.ByScope[tn+"/nonprod"], st.Patches.Duplicates)
			}
			if st.Backups.ByScope[tn+"/nonprod"] != 1 {
				t.Errorf("nonprod backed up %d times; a patch retry must not back up again", st.Backups.ByScope[tn+"/nonprod"])
			}
			checkIncident(t, st, key, sim.IncidentResolved, 2, 2, 1)
			checkPatched(t, h.fleet, []string{bad}, nil)
		})
	}
}
