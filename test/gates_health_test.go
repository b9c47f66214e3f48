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

// TestHealthAfterProductionPatch: a problem that opens during production
// patching fails the stage at verify, with the problem in the gate; and a
// change event marks the production patch window.
func TestHealthAfterProductionPatch(t *testing.T) {
	ctx := context.Background()
	tn := gateTenant().Name
	changes := &recordedChanges{}
	// Operations take 30 minutes, so the problem can open while production
	// is being patched.
	h := newHarness(t, backends()[0].open(t), sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{gateTenant()},
		HostsPerTarget: 1, OpDuration: 30 * time.Minute}, 3, func(d *runbooks.Deps, _ *runbooks.Pipeline) { d.Changes = changes })
	c := h.start(ctx, tn)
	c = h.runUntil(ctx, c.ID, "production awaits approval", awaiting("production"))
	h.mustDecide(ctx, c.ID, "production", runbooks.Approve, alice)
	h.mustDecide(ctx, c.ID, "production", runbooks.Approve, bob)
	c = h.runUntil(ctx, c.ID, "production patching", func(c *runbooks.Cycle) bool {
		s, _ := c.Stage("production")
		return s.Patch.Handle != "" && !s.Patch.Done
	})
	problem := runbooks.Problem{ID: "P-9", Title: "Login failures on online banking"}
	if err := h.fleet.SetHealthProblems(tn, "production", []runbooks.Problem{problem}); err != nil {
		t.Fatal(err)
	}
	c = h.runUntil(ctx, c.ID, "production fails after patching", halted)
	prod := failedStage(t, c, "production", runbooks.PhaseVerify)
	if !strings.Contains(prod.Failure.Reason, problem.Title) || !strings.Contains(prod.Failure.Reason, "after patching") {
		t.Errorf("failure %q does not name the problem opened after patching", prod.Failure.Reason)
	}
	if g := prod.Gates[len(prod.Gates)-1]; g.Name != "verify" || g.Passed || len(g.Problems) != 1 {
		t.Errorf("verify gate %+v, want failed with the problem", g)
	}
	evs := changes.all()
	if len(evs) != 1 || evs[0].Details["stage"] != "production" || !strings.Contains(evs[0].Summary, "production") {
		t.Errorf("change events %+v, want one for the production patch window", evs)
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
