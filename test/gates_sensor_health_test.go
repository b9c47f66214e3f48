package test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

func TestSensorKernelGate(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			rhel := hostName(tn, "nonprod", "web-01")
			h := newGateHarness(t, b, sim.Faults{KernelMismatch: []string{rhel}})
			before, _ := h.fleet.Host(rhel)
			if !strings.HasPrefix(before.OS, "Red Hat") || before.PendingKernel == "" {
				t.Fatalf("%s is %s with pending kernel %q; want RHEL with a new kernel", rhel, before.OS, before.PendingKernel)
			}
			c := h.start(ctx, tn)
			c = h.runUntil(ctx, c.ID, "nonprod awaits approval", awaiting("nonprod"))
			h.mustDecide(ctx, c.ID, "nonprod", runbooks.Approve, alice)
			c = h.runUntil(ctx, c.ID, "nonprod fails", halted)

			np := failedStage(t, c, "nonprod", runbooks.PhaseSensors)
			if len(np.Failure.Findings) != 1 || np.Failure.Findings[0].HostName != rhel {
				t.Fatalf("sensor findings %+v, want only %s", np.Failure.Findings, rhel)
			}
			reason := np.Failure.Findings[0].Reason
			if !strings.Contains(reason, "does not support kernel "+before.PendingKernel) || !strings.Contains(reason, before.SensorVersion) {
				t.Errorf("finding reason %q does not name sensor %s and kernel %s", reason, before.SensorVersion, before.PendingKernel)
			}
			if g := np.Gates[len(np.Gates)-1]; g.Name != "sensors" || g.Passed {
				t.Errorf("last gate %+v, want sensors failed", g)
			}
			scope := tn + "/nonprod"
			st := h.fleet.Stats()
			if st.Backups.ByScope[scope] != 0 || st.Patches.ByScope[scope] != 0 || st.Calls[sim.MethodStartBackup] != 0 || st.Calls[sim.MethodStartPatch] != 0 {
				t.Fatalf("after the sensor gate failed: backups %v, patches %v, calls %v; want nothing started",
					st.Backups.ByScope, st.Patches.ByScope, st.Calls)
			}
			key := runbooks.IncidentKey(c.ID, "nonprod")
			h.ticks(ctx, 5)
			checkIncident(t, h.fleet.Stats(), key, sim.IncidentTriggered, 1, 0, 0)
			if sev := h.fleet.Stats().Incidents[key].Severity; sev != runbooks.SeverityWarning {
				t.Errorf("nonprod page severity %s, want warning", sev)
			}

			if err := h.fleet.FixHost(rhel); err != nil {
				t.Fatal(err)
			}
			h.mustDecide(ctx, c.ID, "nonprod", runbooks.Retry, alice)
			h.tickAll(ctx)
			c = h.cycle(ctx, c.ID)
			np, _ = c.Stage("nonprod")
			if g := np.Gates; len(g) < 2 || g[1].Name != "sensors" || !g[1].Passed {
				t.Fatalf("nonprod gates after retry %+v, want sensors passed", g)
			}
			checkIncident(t, h.fleet.Stats(), key, sim.IncidentResolved, 1, 1, 1)

			h.finish(ctx, c.ID)
			st = h.fleet.Stats()
			if st.Backups.ByScope[scope] != 1 || st.Patches.ByScope[scope] != 1 {
				t.Errorf("nonprod backed up %d and patched %d times, want 1 and 1", st.Backups.ByScope[scope], st.Patches.ByScope[scope])
			}
			after, _ := h.fleet.Host(rhel)
			if after.Kernel != before.PendingKernel || after.SensorRFM || after.PendingPatches != 0 {
				t.Errorf("%s after the cycle: kernel %s (want %s), RFM %v, %d pending", rhel, after.Kernel, before.PendingKernel, after.SensorRFM, after.PendingPatches)
			}
		})
	}
}

// TestHealthGateAndSoak: production cannot be approved while staging soaks,
// can after 24 h, then stops at the health gate while monitoring has an open
// problem, and proceeds on retry once the problem is closed.
func TestHealthGateAndSoak(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			h := newGateHarness(t, b, sim.Faults{})
			problem := runbooks.Problem{ID: "P-4711", Title: "Response time degradation on payments-api"}
			if err := h.fleet.SetHealthProblems(tn, "production", []runbooks.Problem{problem}); err != nil {
				t.Fatal(err)
			}
			c := h.start(ctx, tn)
			c = h.runUntil(ctx, c.ID, "staging soaks", func(c *runbooks.Cycle) bool {
				s, _ := c.Stage("staging")
				return s.Phase == runbooks.PhaseSoak
			})
			stg, _ := c.Stage("staging")
			if want := stg.Patch.Started.Add(24 * time.Hour); stg.SoakUntil.Before(want) {
				t.Errorf("staging soaks until %s, less than 24 h after its patch started (%s)", stg.SoakUntil, stg.Patch.Started)
			}

			// During the soak production is still pending: approving it is
			// refused, on every tick up to the last minute of the soak.
			for h.clock.Now().Add(time.Hour).Before(stg.SoakUntil) {
				h.refused(ctx, c.ID, "production", runbooks.Approve, alice, runbooks.CodeConflict)
				h.clock.Advance(time.Hour)
				h.tickAll(ctx)
			}
			h.clock.Advance(stg.SoakUntil.Sub(h.clock.Now()) - time.Minute)
			h.tickAll(ctx)
			msg := h.refused(ctx, c.ID, "production", runbooks.Approve, alice, runbooks.CodeConflict)
			if !strings.Contains(msg, string(runbooks.PhasePending)) {
				t.Errorf("refusal %q does not say production is pending", msg)
			}
			if prod, _ := h.cycle(ctx, c.ID).Stage("production"); len(prod.Approvals) != 0 {
				t.Fatalf("production has approvals %v during the soak", prod.Approvals)
			}

			h.clock.Advance(time.Minute)
			h.tickAll(ctx)
			c = h.cycle(ctx, c.ID)
			if !awaiting("production")(c) {
				t.Fatalf("production not awaiting approval after the soak: %+v", c.Stages)
			}
			h.mustDecide(ctx, c.ID, "production", runbooks.Approve, alice)
			h.mustDecide(ctx, c.ID, "production", runbooks.Approve, bob)
			c = h.runUntil(ctx, c.ID, "production fails", halted)

			prod := failedStage(t, c, "production", runbooks.PhaseHealth)
			if !strings.Contains(prod.Failure.Reason, problem.Title) {
				t.Errorf("failure reason %q does not name the problem %q", prod.Failure.Reason, problem.Title)
			}
			if g := prod.Gates[len(prod.Gates)-1]; g.Name != "health" || g.Passed || len(g.Problems) != 1 || g.Problems[0].ID != problem.ID {
				t.Errorf("health gate %+v, want failed with %s", g, problem.ID)
			}
			scope := tn + "/production"
			st := h.fleet.Stats()
			if st.Patches.ByScope[scope] != 0 || st.Backups.ByScope[scope] != 0 {
				t.Fatalf("production patched %d / backed up %d times behind a failed health gate", st.Patches.ByScope[scope], st.Backups.ByScope[scope])
			}
			key := runbooks.IncidentKey(c.ID, "production")
			checkIncident(t, st, key, sim.IncidentTriggered, 1, 0, 0)
			if sev := st.Incidents[key].Severity; sev != runbooks.SeverityCritical {
				t.Errorf("production page severity %s, want critical", sev)
			}
			// Nothing to exclude: the problem is not a host.
			h.refused(ctx, c.ID, "production", runbooks.Exclude, alice, runbooks.CodeConflict)

			if err := h.fleet.ClearHealthProblems(tn, "production"); err != nil {
				t.Fatal(err)
			}
			h.mustDecide(ctx, c.ID, "production", runbooks.Retry, bob)
			c = h.finish(ctx, c.ID)
			st = h.fleet.Stats()
			if st.Patches.ByScope[scope] != 1 {
				t.Errorf("production patched %d times, want 1", st.Patches.ByScope[scope])
			}
			checkIncident(t, st, key, sim.IncidentResolved, 1, 1, 1)
			prod, _ = c.Stage("production")
			var health []bool
			for _, g := range prod.Gates {
				if g.Name == "health" {
					health = append(health, g.Passed)
				}
			}
			if !slices.Equal(health, []bool{false, true}) {
				t.Errorf("production health gates %v, want failed then passed", health)
			}
			checkApprovals(t, c)
		})
	}
}

// TestPatchGateRetry: a host whose patch fails stops the stage naming it;
// each retry sends the patch again under a new attempt tag, never twice
// under one; a retry that fails again pages again on the same incident.
