package test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// recordedChanges is a runbooks.Changes that keeps what it was sent.
type recordedChanges struct {
	mu  sync.Mutex
	evs []runbooks.ChangeEvent
}

func (r *recordedChanges) Change(_ context.Context, ev runbooks.ChangeEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
	return nil
}

func (r *recordedChanges) all() []runbooks.ChangeEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]runbooks.ChangeEvent(nil), r.evs...)
}

// TestSensorGateExcludes: with the exclude policy, a host whose sensor would
// break is left out with the reason (as evidence) and the stage goes on:
// no failure, no page, and the host keeps its old kernel.
func TestSensorGateExcludes(t *testing.T) {
	ctx := context.Background()
	tn := gateTenant().Name
	rhel := hostName(tn, "nonprod", "web-01")
	exclude := func(_ *runbooks.Deps, p *runbooks.Pipeline) {
		for i := range *p {
			(*p)[i].SensorExclude = true
		}
	}
	h := newGateHarness(t, backends()[0], sim.Faults{KernelMismatch: []string{rhel}}, exclude)
	before, _ := h.fleet.Host(rhel)
	c := h.start(ctx, tn)
	c = h.finish(ctx, c.ID)

	np, _ := c.Stage("nonprod")
	if len(np.Exclusions) != 1 || np.Exclusions[0].HostName != rhel || !strings.Contains(np.Exclusions[0].Reason, before.PendingKernel) {
		t.Fatalf("nonprod exclusions %+v, want %s with the kernel in the reason", np.Exclusions, rhel)
	}
	if g := np.Gates[0]; g.Name != "sensors" || !g.Passed || len(g.Findings) != 1 {
		t.Errorf("sensor gate %+v, want passed with the excluded host as its finding", g)
	}
	if c.Scope.Excluded != 1 {
		t.Errorf("scope excluded %d, want 1", c.Scope.Excluded)
	}
	if st := h.fleet.Stats(); st.PageTriggers != 0 {
		t.Errorf("%d pages for an excluded host, want none", st.PageTriggers)
	}
	after, _ := h.fleet.Host(rhel)
	if after.Kernel != before.Kernel || after.PendingPatches == 0 {
		t.Errorf("%s was patched (kernel %s → %s) although excluded", rhel, before.Kernel, after.Kernel)
	}
	if len(h.events(ctx, c.ID, runbooks.EvExclusions)) != 1 {
		t.Errorf("want one exclusions event in the audit trail")
	}
}

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
