package test

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// TestChatDown: while chat fails the cycle still moves and its audit trail
// stays complete; once chat is back it is shown every event once, in order.
func TestChatDown(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			h := newGateHarness(t, b, sim.Faults{BackupFail: []string{hostName(tn, "staging", "web-01")}})
			h.chat.Fail = true // no engine goroutine runs between ticks
			c := h.start(ctx, tn)
			c = h.runUntil(ctx, c.ID, "staging fails", halted)
			failedStage(t, c, "staging", runbooks.PhaseBackup)
			if n := len(h.chat.Events(c.ID)); n != 0 {
				t.Fatalf("chat down, yet showed %d events", n)
			}
			if got := h.events(ctx, c.ID); int64(len(got)) != c.Revision || got[len(got)-1].Type != runbooks.EvIncidentOpened {
				t.Fatalf("audit has %d events (revision %d), last %s; want all, ending with the page", len(got), c.Revision, got[len(got)-1].Type)
			}

			// Chat back for a while: it catches up on everything.
			h.chat.Fail = false
			h.tickAll(ctx)
			c = h.cycle(ctx, c.ID)
			h.checkTrail(ctx, c)
			if c.Notified != c.Revision || len(c.Outbox) != 0 {
				t.Errorf("after catching up: notified %d of %d, %d in the outbox", c.Notified, c.Revision, len(c.Outbox))
			}

			// Down again for the rest of the cycle, decisions included.
			h.chat.Fail = true
			h.mustDecide(ctx, c.ID, "staging", runbooks.Exclude, alice)
			c = h.runUntil(ctx, c.ID, "the cycle completes", func(c *runbooks.Cycle) bool { return c.Status == runbooks.StatusCompleted })
			h.ticks(ctx, 3)
			if active, _ := h.engines[0].Active(ctx); len(active) != 1 {
				t.Fatalf("%d active cycles; a completed cycle must stay until chat was told", len(active))
			}
			c = h.cycle(ctx, c.ID)
			if audit := h.events(ctx, c.ID); int64(len(audit)) != c.Revision || audit[len(audit)-1].Type != runbooks.EvCycleCompleted {
				t.Fatalf("audit has %d events (revision %d) while chat is down", len(audit), c.Revision)
			}
			if shown := h.chat.Events(c.ID); len(shown) >= int(c.Revision) {
				t.Fatalf("chat down, yet showed %d of %d events", len(shown), c.Revision)
			}

			h.chat.Fail = false
			h.runToEnd(ctx, 3)
			c = h.cycle(ctx, c.ID)
			if c.Status != runbooks.StatusCompleted {
				t.Fatalf("archived as %s", c.Status)
			}
			h.checkTrail(ctx, c)
			// Every decision was made while chat was down, so each event
			// reached chat in one of the two catch-ups, none twice.
			if h.chat.Redelivery != 0 {
				t.Errorf("chat was handed %d events it had already shown", h.chat.Redelivery)
			}
			verifyAllStreams(t, h.store)
		})
	}
}

// TestTransientProviderErrors: every other StartPatch and BackupStatus call
// failing is retried transparently: one backup and one patch per
// environment, no page, no error left on any stage.
func TestTransientProviderErrors(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			h := newGateHarness(t, b, sim.Faults{ErrorEvery: map[string]int{sim.MethodStartPatch: 2, sim.MethodBackupStatus: 2}})
			c := h.start(ctx, tn)
			c = h.finish(ctx, c.ID)
			st := h.fleet.Stats()
			for _, env := range []string{"nonprod", "staging", "production"} {
				if got := st.Patches.ByScope[tn+"/"+env]; got != 1 {
					t.Errorf("%s patched %d times, want 1", env, got)
				}
				if got := st.Backups.ByScope[tn+"/"+env]; got != 1 {
					t.Errorf("%s backed up %d times, want 1", env, got)
				}
			}
			if st.InjectedErrors[sim.MethodStartPatch] != 2 || st.Patches.Duplicates != 0 {
				t.Errorf("%d StartPatch errors injected, %d duplicates; want 2, 0", st.InjectedErrors[sim.MethodStartPatch], st.Patches.Duplicates)
			}
			if st.PageTriggers != 0 || len(h.events(ctx, c.ID, runbooks.EvStageFailed)) != 0 {
				t.Errorf("transient errors failed a stage: %d pages", st.PageTriggers)
			}
			for _, s := range c.Stages {
				if s.Errors != 0 || s.LastError != "" {
					t.Errorf("%s: %d errors left recorded (%s)", s.Name, s.Errors, s.LastError)
				}
			}
		})
	}
}

// TestTransientErrorPersists: a StartPatch that always fails fails the
// stage after MaxErrors attempts, with the error in the reason and one page;
// it cannot be excluded around, and a retry once the provider is back
// completes the cycle.
func TestTransientErrorPersists(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			h := newGateHarness(t, b, sim.Faults{ErrorEvery: map[string]int{sim.MethodStartPatch: 1}})
			c := h.start(ctx, tn)
			c = h.runUntil(ctx, c.ID, "nonprod fails", halted)
			np := failedStage(t, c, "nonprod", runbooks.PhasePatch)
			if !strings.Contains(np.Failure.Reason, "start_patch failed 3 times") || !strings.Contains(np.Failure.Reason, sim.ErrInjected.Message) {
				t.Errorf("failure reason %q, want the action, 3 attempts and the provider error", np.Failure.Reason)
			}
			h.ticks(ctx, 10)
			st := h.fleet.Stats()
			if st.Calls[sim.MethodStartPatch] != 3 || st.Patches.Starts != 0 {
				t.Errorf("%d StartPatch calls, %d patches started; want 3 (MaxErrors) and 0", st.Calls[sim.MethodStartPatch], st.Patches.Starts)
			}
			if st.PageTriggers != 1 {
				t.Errorf("%d pages, want 1", st.PageTriggers)
			}
			h.refused(ctx, c.ID, "nonprod", runbooks.Exclude, alice, runbooks.CodeConflict)

			if err := h.fleet.SetErrorEvery(sim.MethodStartPatch, 0); err != nil {
				t.Fatal(err)
			}
			h.mustDecide(ctx, c.ID, "nonprod", runbooks.Retry, alice)
			h.finish(ctx, c.ID)
			st = h.fleet.Stats()
			if st.Patches.ByScope[tn+"/nonprod"] != 1 || st.Patches.Duplicates != 0 || st.PageTriggers != 1 {
				t.Errorf("nonprod patched %d times, %d duplicates, %d pages; want 1, 0, 1", st.Patches.ByScope[tn+"/nonprod"], st.Patches.Duplicates, st.PageTriggers)
			}
			checkIncident(t, st, runbooks.IncidentKey(c.ID, "nonprod"), sim.IncidentResolved, 1, 1, 1)
		})
	}
}

// TestLostReplyFindsOperation: a start whose reply is lost after it took
// effect is found by its tag on the next step, never sent twice.
func TestLostReplyFindsOperation(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			h := newGateHarness(t, b, sim.Faults{})
			c := h.start(ctx, tn)
			c = h.runUntil(ctx, c.ID, "nonprod awaits approval", awaiting("nonprod"))
			for _, m := range []string{sim.MethodStartBackup, sim.MethodStartPatch} {
				if err := h.fleet.SetLostReplyEvery(m, 1); err != nil {
					t.Fatal(err)
				}
			}
			h.mustDecide(ctx, c.ID, "nonprod", runbooks.Approve, alice)
			c = h.runUntil(ctx, c.ID, "nonprod patch handle stored", func(c *runbooks.Cycle) bool {
				s, _ := c.Stage("nonprod")
				return s.Patch.Handle != ""
			})
			for _, m := range []string{sim.MethodStartBackup, sim.MethodStartPatch} {
				if err := h.fleet.SetLostReplyEvery(m, 0); err != nil {
					t.Fatal(err)
				}
			}
			st := h.fleet.Stats()
			for _, op := range []struct {
				method string
				stats  sim.OpStats
			}{{sim.MethodStartBackup, st.Backups}, {sim.MethodStartPatch, st.Patches}} {
				if st.Calls[op.method] != 1 || st.InjectedErrors[op.method] != 1 || op.stats.Starts != 1 || op.stats.Found < 1 || op.stats.Duplicates != 0 {
					t.Errorf("%s: %d calls, %d lost, %d started, %d found, %d duplicates; want 1, 1, 1, ≥1, 0",
						op.method, st.Calls[op.method], st.InjectedErrors[op.method], op.stats.Starts, op.stats.Found, op.stats.Duplicates)
				}
			}
			evs := h.events(ctx, c.ID)
			for _, typ := range []string{runbooks.EvBackupStarted, runbooks.EvPatchStarted} {
				started := stageEvents(evs, "nonprod", typ)
				if len(started) != 1 || !strings.Contains(started[0].Detail, "found the earlier request") {
					t.Errorf("nonprod %s events %+v, want one that found the earlier request", typ, started)
				}
			}

			h.finish(ctx, c.ID)
			st = h.fleet.Stats()
			for _, env := range []string{"nonprod", "staging", "production"} {
				if got := st.Patches.ByScope[tn+"/"+env]; got != 1 {
					t.Errorf("%s patched %d times, want 1", env, got)
				}
			}
			if st.Patches.Duplicates != 0 || st.Backups.Duplicates != 0 || st.PageTriggers != 0 {
				t.Errorf("duplicates: patches %d backups %d; pages %d", st.Patches.Duplicates, st.Backups.Duplicates, st.PageTriggers)
			}
		})
	}
}

// TestTransientPagerErrors: a pager that cannot be reached delays the
// acknowledgement of a retried stage's incident, but its errors are not the
// stage's: one later transient StartPatch error is retried like any other
// instead of failing the stage on errors the patch provider never made.
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
