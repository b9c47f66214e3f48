package test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

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

// TestBackupGateExclusions: a failed backup stops the stage before any
// patch; proceeding without the host patches the others only.
func TestBackupGateExclusions(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			bad := hostName(tn, "nonprod", "app-01")
			h := newGateHarness(t, b, sim.Faults{BackupFail: []string{bad}})
			c := h.start(ctx, tn)
			c = h.runUntil(ctx, c.ID, "nonprod fails", halted)
			np := failedStage(t, c, "nonprod", runbooks.PhaseBackup)
			if len(np.Failure.Findings) != 1 || np.Failure.Findings[0].HostName != bad || !strings.Contains(np.Failure.Findings[0].Reason, "backup failed") {
				t.Fatalf("backup findings %+v, want only %s", np.Failure.Findings, bad)
			}
			scope := tn + "/nonprod"
			if st := h.fleet.Stats(); st.Patches.ByScope[scope] != 0 {
				t.Fatalf("nonprod patched %d times behind a failed backup", st.Patches.ByScope[scope])
			}
			h.refused(ctx, c.ID, "nonprod", runbooks.Resume, alice, runbooks.CodeConflict)

			c = h.mustDecide(ctx, c.ID, "nonprod", runbooks.Exclude, alice)
			if np, _ = c.Stage("nonprod"); np.Phase != runbooks.PhasePatch || len(np.Exclusions) != 1 || np.Exclusions[0].HostName != bad || c.Scope.Excluded != 1 {
				t.Fatalf("after exclusion: nonprod %s, exclusions %v, scope %+v", np.Phase, np.Exclusions, c.Scope)
			}
			c = h.finish(ctx, c.ID)
			st := h.fleet.Stats()
			if st.Backups.ByScope[scope] != 1 || st.Patches.ByScope[scope] != 1 || st.Patches.Duplicates != 0 {
				t.Errorf("nonprod backups %d, patches %d, duplicates %d; want 1, 1, 0", st.Backups.ByScope[scope], st.Patches.ByScope[scope], st.Patches.Duplicates)
			}
			started := stageEvents(h.events(ctx, c.ID), "nonprod", runbooks.EvPatchStarted)
			if len(started) != 1 || !strings.HasPrefix(started[0].Detail, "patch started on 2 host(s)") {
				t.Errorf("nonprod patch.started %+v, want one on 2 hosts", started)
			}
			if c.Scope.Excluded != 1 {
				t.Errorf("final scope %+v, want 1 excluded", c.Scope)
			}
			checkPatched(t, h.fleet, []string{hostName(tn, "nonprod", "web-01"), hostName(tn, "nonprod", "db-01")}, []string{bad})
			checkIncident(t, st, runbooks.IncidentKey(c.ID, "nonprod"), sim.IncidentResolved, 1, 1, 1)
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
