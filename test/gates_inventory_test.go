package test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// TestInventoryGateExclusions: unmanaged nonprod hosts fail preflight, page
// once however many replicas tick, an outsider cannot act on it, and an
// approver's proceed-with-exclusions finishes the cycle without them.
func TestInventoryGateExclusions(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			bad := []string{hostName(tn, "nonprod", "app-01"), hostName(tn, "nonprod", "web-01")}
			h := newGateHarness(t, b, sim.Faults{Unmanaged: map[string]string{bad[0]: "", bad[1]: "ConnectionLost"}})
			c := h.start(ctx, tn)
			c = h.runUntil(ctx, c.ID, "preflight fails", halted)

			pre := failedStage(t, c, "preflight", runbooks.PhaseInventory)
			if got := findingNames(pre.Failure.Findings); !slices.Equal(got, bad) {
				t.Fatalf("preflight findings %v, want %v", got, bad)
			}
			for _, f := range pre.Failure.Findings {
				if !strings.Contains(f.Reason, "not managed by its patch agent") {
					t.Errorf("finding %s: reason %q", f.HostName, f.Reason)
				}
				if f.HostName == bad[1] && !strings.Contains(f.Reason, "ConnectionLost") {
					t.Errorf("finding %s does not give the agent status: %q", f.HostName, f.Reason)
				}
			}
			if c.Scope.Hosts != h.fleet.Size() || c.Scope.Unmanaged != 2 || c.Scope.Excluded != 0 {
				t.Errorf("scope %+v, want %d hosts, 2 unmanaged, none excluded", c.Scope, h.fleet.Size())
			}
			failed := stageEvents(h.events(ctx, c.ID), "preflight", runbooks.EvStageFailed)
			if len(failed) != 1 || !strings.Contains(failed[0].Data["hosts"], bad[0]) || !strings.Contains(failed[0].Data["hosts"], bad[1]) {
				t.Fatalf("stage.failed events %+v, want one naming %v", failed, bad)
			}
			if shown := stageEvents(h.chat.Events(c.ID), "preflight", runbooks.EvStageFailed); len(shown) != 1 {
				t.Errorf("chat showed %d preflight failures, want 1", len(shown))
			}

			// However long it stays failed, on however many replicas: one page.
			h.ticks(ctx, 20)
			key := runbooks.IncidentKey(c.ID, "preflight")
			st := h.fleet.Stats()
			checkIncident(t, st, key, sim.IncidentTriggered, 1, 0, 0)
			if st.PageTriggers != 1 || st.IncidentsOpened != 1 {
				t.Errorf("%d triggers, %d incidents opened; want 1 and 1", st.PageTriggers, st.IncidentsOpened)
			}
			if inc := st.Incidents[key]; inc.Severity != runbooks.SeverityError || !strings.Contains(inc.Details["hosts"], bad[0]) {
				t.Errorf("page %+v: want severity error naming %s", inc, bad[0])
			}
			if n := len(h.events(ctx, c.ID, runbooks.EvIncidentOpened)); n != 1 {
				t.Errorf("%d incident.triggered events, want 1", n)
			}

			h.refused(ctx, c.ID, "preflight", runbooks.Retry, outsider, runbooks.CodeForbidden)
			h.refused(ctx, c.ID, "preflight", runbooks.Exclude, outsider, runbooks.CodeForbidden)

			c = h.mustDecide(ctx, c.ID, "preflight", runbooks.Exclude, alice)
			pre, _ = c.Stage("preflight")
			if c.Status != runbooks.StatusRunning || pre.Phase != runbooks.PhaseDone || c.Scope.Excluded != 2 || len(pre.Exclusions) != 2 {
				t.Fatalf("after exclusions: %s, preflight %s, scope %+v, exclusions %v", c.Status, pre.Phase, c.Scope, pre.Exclusions)
			}
			h.tickAll(ctx)
			checkIncident(t, h.fleet.Stats(), key, sim.IncidentResolved, 1, 1, 1)
			var order []string
			for _, ev := range h.events(ctx, c.ID) {
				if ev.Stage == "preflight" && ev.Seq > failed[0].Seq {
					order = append(order, ev.Type)
				}
			}
			want := []string{runbooks.EvIncidentOpened, runbooks.EvExclusions, runbooks.EvStageDone, runbooks.EvIncidentAcked, runbooks.EvIncidentResolved}
			if !slices.Equal(order, want) {
				t.Errorf("preflight events after the failure: %v, want %v", order, want)
			}

			c = h.finish(ctx, c.ID)
			if c.Scope.Excluded != 2 {
				t.Errorf("final scope %+v, want 2 excluded", c.Scope)
			}
			st = h.fleet.Stats()
			if st.Patches.ByScope[tn+"/nonprod"] != 1 || st.Patches.Duplicates != 0 {
				t.Errorf("nonprod patched %d times, %d duplicates; want 1, 0", st.Patches.ByScope[tn+"/nonprod"], st.Patches.Duplicates)
			}
			started := stageEvents(h.events(ctx, c.ID), "nonprod", runbooks.EvPatchStarted)
			if len(started) != 1 || !strings.HasPrefix(started[0].Detail, "patch started on 1 host(s)") {
				t.Errorf("nonprod patch.started %+v, want one on the 1 remaining host", started)
			}
			checkPatched(t, h.fleet, []string{hostName(tn, "nonprod", "db-01"), hostName(tn, "staging", "web-01")}, bad)
			if st.PageTriggers != 1 {
				t.Errorf("%d pages over the whole cycle, want 1", st.PageTriggers)
			}
			verifyAllStreams(t, h.store)
		})
	}
}

// TestInventoryGateRetryAfterFix: the same failure, repaired by hand and
// retried, passes on the new attempt, resolves the one page and patches
// the repaired hosts.
func TestInventoryGateRetryAfterFix(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			bad := []string{hostName(tn, "nonprod", "app-01"), hostName(tn, "nonprod", "web-01")}
			h := newGateHarness(t, b, sim.Faults{Unmanaged: map[string]string{bad[0]: "", bad[1]: "ConnectionLost"}})
			c := h.start(ctx, tn)
			c = h.runUntil(ctx, c.ID, "preflight fails", halted)
			failedStage(t, c, "preflight", runbooks.PhaseInventory)
			h.ticks(ctx, 3)

			for _, n := range bad {
				if err := h.fleet.FixHost(n); err != nil {
					t.Fatal(err)
				}
			}
			c = h.mustDecide(ctx, c.ID, "preflight", runbooks.Retry, alice)
			pre, _ := c.Stage("preflight")
			if c.Status != runbooks.StatusRunning || pre.Phase != runbooks.PhaseInventory || pre.Attempt != 1 || pre.Failure != nil {
				t.Fatalf("after retry: %s, preflight %s attempt %d failure %+v", c.Status, pre.Phase, pre.Attempt, pre.Failure)
			}
			h.tickAll(ctx)
			c = h.cycle(ctx, c.ID)
			pre, _ = c.Stage("preflight")
			if pre.Phase != runbooks.PhaseDone || len(pre.Gates) != 2 || pre.Gates[0].Passed || !pre.Gates[1].Passed {
				t.Fatalf("preflight %s with gates %+v; want done, failed then passed", pre.Phase, pre.Gates)
			}
			if c.Scope.Unmanaged != 0 || c.Scope.Hosts != h.fleet.Size() {
				t.Errorf("scope after retry %+v, want every host managed", c.Scope)
			}
			key := runbooks.IncidentKey(c.ID, "preflight")
			checkIncident(t, h.fleet.Stats(), key, sim.IncidentResolved, 1, 1, 1)
			if n := len(h.events(ctx, c.ID, runbooks.EvRetry)); n != 1 {
				t.Errorf("%d stage.retry events, want 1", n)
			}

			h.finish(ctx, c.ID)
			st := h.fleet.Stats()
			if st.PageTriggers != 1 || st.Patches.ByScope[tn+"/nonprod"] != 1 {
				t.Errorf("%d pages, nonprod patched %d times; want 1 and 1", st.PageTriggers, st.Patches.ByScope[tn+"/nonprod"])
			}
			checkPatched(t, h.fleet, append(bad, hostName(tn, "nonprod", "db-01")), nil)
		})
	}
}
