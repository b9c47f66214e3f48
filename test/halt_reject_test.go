package test

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// TestHaltResumeReject: who may halt and resume, resume refused while a
// stage is failed, reject ending the cycle, one active cycle per tenant and
// a new cycle once the rejected one is archived.
func TestHaltResumeReject(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			bad := hostName(tn, "nonprod", "db-01")
			h := newGateHarness(t, b, sim.Faults{PatchFail: []string{bad}})
			c := h.start(ctx, tn)
			_, err := h.engines[2].Start(ctx, tn, alice)
			if runbooks.ErrorCode(err) != runbooks.CodeConflict || !strings.Contains(runbooks.ErrorMessage(err), c.ID) {
				t.Fatalf("second start: %v; want a conflict naming %s", err, c.ID)
			}
			c = h.runUntil(ctx, c.ID, "nonprod awaits approval", awaiting("nonprod"))

			h.refused(ctx, c.ID, "", runbooks.HaltCycle, outsider, runbooks.CodeForbidden)
			c = h.mustDecide(ctx, c.ID, "", runbooks.HaltCycle, requester)
			if c.Status != runbooks.StatusHalted || c.Halt == nil || c.Halt.By != requester {
				t.Fatalf("after halt: %s, %+v", c.Status, c.Halt)
			}
			h.refused(ctx, c.ID, "", runbooks.HaltCycle, alice, runbooks.CodeConflict)
			h.refused(ctx, c.ID, "nonprod", runbooks.Approve, alice, runbooks.CodeConflict)
			h.refused(ctx, c.ID, "", runbooks.Resume, outsider, runbooks.CodeForbidden)
			rev := c.Revision
			h.ticks(ctx, 5)
			if c = h.cycle(ctx, c.ID); c.Revision != rev || c.Status != runbooks.StatusHalted {
				t.Fatalf("a halted cycle moved: revision %d→%d, %s", rev, c.Revision, c.Status)
			}
			c = h.mustDecide(ctx, c.ID, "", runbooks.Resume, alice)
			if c.Status != runbooks.StatusRunning || c.Halt != nil {
				t.Fatalf("after resume: %s, %+v", c.Status, c.Halt)
			}

			// A failed stage halts the cycle; resume cannot skip it.
			c = h.runUntil(ctx, c.ID, "nonprod fails", halted)
			failedStage(t, c, "nonprod", runbooks.PhasePatch)
			msg := h.refused(ctx, c.ID, "", runbooks.Resume, alice, runbooks.CodeConflict)
			if !strings.Contains(msg, "retry or proceed-with-exclusions") {
				t.Errorf("resume refusal %q does not point to retry or exclusions", msg)
			}
			h.refused(ctx, c.ID, "", runbooks.HaltCycle, requester, runbooks.CodeConflict)
			if err := h.fleet.FixHost(bad); err != nil {
				t.Fatal(err)
			}
			h.mustDecide(ctx, c.ID, "nonprod", runbooks.Retry, alice)
			c = h.runUntil(ctx, c.ID, "staging awaits approval", awaiting("staging"))

			// Reject at approval ends the cycle; it is archived and the
			// tenant is free again.
			c = h.mustDecide(ctx, c.ID, "staging", runbooks.Reject, alice)
			if c.Status != runbooks.StatusRejected || c.Ended.IsZero() {
				t.Fatalf("after reject: %s ended %v", c.Status, c.Ended)
			}
			h.refused(ctx, c.ID, "", runbooks.Resume, alice, runbooks.CodeConflict)
			h.tickAll(ctx)
			if active, err := h.engines[0].Active(ctx); err != nil || len(active) != 0 {
				t.Fatalf("active after reject: %d cycles, %v", len(active), err)
			}
			c = h.cycle(ctx, c.ID)
			if c.Status != runbooks.StatusRejected {
				t.Fatalf("archived cycle is %s", c.Status)
			}
			h.checkTrail(ctx, c)
			if st := h.fleet.Stats(); st.Patches.ByScope[tn+"/staging"] != 0 {
				t.Errorf("rejected staging was patched %d times", st.Patches.ByScope[tn+"/staging"])
			}
			checkIncident(t, h.fleet.Stats(), runbooks.IncidentKey(c.ID, "nonprod"), sim.IncidentResolved, 1, 1, 1)
			next := h.start(ctx, tn)
			if next.ID == c.ID || next.Status != runbooks.StatusRunning {
				t.Fatalf("new cycle %s (%s) after the rejected %s", next.ID, next.Status, c.ID)
			}
			if _, err := h.engines[1].Start(ctx, tn, requester); runbooks.ErrorCode(err) != runbooks.CodeConflict || !strings.Contains(err.Error(), next.ID) {
				t.Errorf("third start: %v; want a conflict naming %s", err, next.ID)
			}
		})
	}
}

// TestRejectFailedStage: a stage that failed for a reason no exclusion can
// fix (an open health problem in nonprod) can be rejected; the cycle closes,
// its page is resolved and the tenant is free for a new cycle.
func TestRejectFailedStage(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			h := newGateHarness(t, b, sim.Faults{})
			if err := h.fleet.SetHealthProblems(tn, "production", []runbooks.Problem{{ID: "P-1", Title: "core banking down"}}); err != nil {
				t.Fatal(err)
			}
			c := h.start(ctx, tn)
			c = h.runUntil(ctx, c.ID, "production fails", halted)
			failedStage(t, c, "production", runbooks.PhaseHealth)
			h.tickAll(ctx) // pages
			key := runbooks.IncidentKey(c.ID, "production")
			checkIncident(t, h.fleet.Stats(), key, sim.IncidentTriggered, 1, 0, 0)

			h.refused(ctx, c.ID, "production", runbooks.Reject, outsider, runbooks.CodeForbidden)
			h.refused(ctx, c.ID, "staging", runbooks.Reject, alice, runbooks.CodeConflict) // staging is done
			c = h.mustDecide(ctx, c.ID, "production", runbooks.Reject, alice)
			if c.Status != runbooks.StatusRejected {
				t.Fatalf("status %s after reject, want rejected", c.Status)
			}
			h.ticks(ctx, 2)
			checkIncident(t, h.fleet.Stats(), key, sim.IncidentResolved, 1, 0, 1)
			if active, _ := h.engines[0].Active(ctx); len(active) != 0 {
				t.Fatalf("%d cycles still active after the reject", len(active))
			}
			h.start(ctx, tn) // the tenant is free again
		})
	}
}
