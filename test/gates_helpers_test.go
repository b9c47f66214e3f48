package test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// The scenarios below drive one tenant's cycle through every gate outcome
// and the human decisions around a failure, on three replicas sharing a
// store, and check the cycle record, the audit trail, the chat and what the
// simulated providers were asked to do.
//
// With HostsPerTarget 1 the tenant has 3 nonprod hosts (web-01 on AWS,
// app-01 on Azure, db-01 on GCP), 3 staging and 4 production hosts.

const gateSeed = 11

// gateTenant is the one tenant of the gate scenarios.
func gateTenant() runbooks.Tenant { return sim.GenerateTenants(1, gateSeed)[0] }

// newGateHarness builds three replicas over one store and a one-tenant fleet
// with the given faults.
func newGateHarness(t *testing.T, b backend, faults sim.Faults, opts ...harnessOption) *harness {
	t.Helper()
	return newHarness(t, b.open(t), sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{gateTenant()},
		HostsPerTarget: 1, Faults: faults}, 3, opts...)
}

// hostName names the generated host of a tenant's environment, e.g. role
// "app-01".
func hostName(tenant, env, role string) string { return tenant + "-" + env + "-" + role }

func (h *harness) start(ctx context.Context, tenant string) *runbooks.Cycle {
	h.t.Helper()
	c, err := h.engines[0].Start(ctx, tenant, requester)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func (h *harness) cycle(ctx context.Context, id string) *runbooks.Cycle {
	h.t.Helper()
	c, err := h.engines[0].Get(ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// decide makes a decision on the message as it is now (no stale check
// trips), through the second replica so decisions and ticks mix replicas.
func (h *harness) decide(ctx context.Context, id, stage string, a runbooks.DecisionAction, actor string) (runbooks.Outcome, error) {
	h.t.Helper()
	c := h.cycle(ctx, id)
	return h.engines[1].Decide(ctx, runbooks.Decision{Cycle: id, Stage: stage, Action: a, Actor: actor,
		SeenRevision: c.Revision, InteractionID: fmt.Sprintf("%s-%s-%s-%s-r%d", id, stage, a, actor, c.Revision)})
}

// mustDecide is decide that must be applied.
func (h *harness) mustDecide(ctx context.Context, id, stage string, a runbooks.DecisionAction, actor string) *runbooks.Cycle {
	h.t.Helper()
	out, err := h.decide(ctx, id, stage, a, actor)
	if err != nil {
		h.t.Fatalf("%s %s as %s: %v", a, stage, actor, err)
	}
	if out.Duplicate {
		h.t.Fatalf("%s %s as %s: treated as a duplicate", a, stage, actor)
	}
	return out.Cycle
}

// refused asserts a decision is refused with code and changes nothing but
// the refusal stream, and returns the refusal's message.
func (h *harness) refused(ctx context.Context, id, stage string, a runbooks.DecisionAction, actor, code string) string {
	h.t.Helper()
	before := h.cycle(ctx, id)
	nref := len(h.refusals(ctx, id))
	_, err := h.decide(ctx, id, stage, a, actor)
	if got := runbooks.ErrorCode(err); got != code {
		h.t.Fatalf("%s %s as %s: code %q (%v), want %q", a, stage, actor, got, err, code)
	}
	after := h.cycle(ctx, id)
	if after.Revision != before.Revision || after.Status != before.Status {
		h.t.Fatalf("refused %s %s as %s changed the cycle: revision %d→%d, status %s→%s",
			a, stage, actor, before.Revision, after.Revision, before.Status, after.Status)
	}
	refs := h.refusals(ctx, id)
	if len(refs) != nref+1 {
		h.t.Fatalf("refused %s as %s: refusal stream grew by %d, want 1", a, actor, len(refs)-nref)
	}
	last := refs[len(refs)-1]
	if last.Type != runbooks.EvRefused || last.Actor != actor || last.Data["code"] != code || last.Data["action"] != string(a) {
		h.t.Fatalf("refusal recorded as %+v, want %s's %s refused with %s", last, actor, a, code)
	}
	return runbooks.ErrorMessage(err)
}

func (h *harness) refusals(ctx context.Context, id string) []runbooks.Event {
	h.t.Helper()
	r, err := h.engines[0].Refusals(ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

// runUntil ticks every replica, stops as soon as done holds, and otherwise
// approves whatever awaits approval (alice, and bob for production) and
// moves the clock on an hour. A cycle that halts or ends before done holds
// fails the test.
func (h *harness) runUntil(ctx context.Context, id string, what string, done func(*runbooks.Cycle) bool) *runbooks.Cycle {
	h.t.Helper()
	for range 60 {
		h.tickAll(ctx)
		c := h.cycle(ctx, id)
		if done(c) {
			return c
		}
		switch {
		case c.Status == runbooks.StatusHalted:
			h.t.Fatalf("cycle %s halted before %s: %s", id, what, c.Halt.Reason)
		case c.Status.Terminal():
			h.t.Fatalf("cycle %s is %s before %s", id, c.Status, what)
		}
		h.approveWaiting(ctx)
		h.clock.Advance(time.Hour)
	}
	h.t.Fatalf("cycle %s: never %s", id, what)
	return nil
}

func halted(c *runbooks.Cycle) bool { return c.Status == runbooks.StatusHalted }

// awaiting reports whether stage waits for approval.
func awaiting(stage string) func(*runbooks.Cycle) bool {
	return func(c *runbooks.Cycle) bool {
		s, _ := c.Stage(stage)
		return c.Status == runbooks.StatusRunning && s.Phase == runbooks.PhaseApproval
	}
}

// ticks runs n rounds of every replica with an hour between them.
func (h *harness) ticks(ctx context.Context, n int) {
	h.t.Helper()
	for range n {
		h.tickAll(ctx)
		h.clock.Advance(time.Hour)
	}
}

// events returns the cycle's audit events of the given types (all when none).
func (h *harness) events(ctx context.Context, id string, types ...string) []runbooks.Event {
	h.t.Helper()
	all, err := h.engines[0].Events(ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(types) == 0 {
		return all
	}
	var out []runbooks.Event
	for _, ev := range all {
		if slices.Contains(types, ev.Type) {
			out = append(out, ev)
		}
	}
	return out
}

// stageEvents filters events to one stage and type.
func stageEvents(evs []runbooks.Event, stage, typ string) []runbooks.Event {
	var out []runbooks.Event
	for _, ev := range evs {
		if ev.Stage == stage && ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// checkTrail asserts the audit stream holds every event of the cycle,
// numbered 1..Revision, and chat showed the same events in the same order.
func (h *harness) checkTrail(ctx context.Context, c *runbooks.Cycle) {
	h.t.Helper()
	audit := h.events(ctx, c.ID)
	if int64(len(audit)) != c.Revision {
		h.t.Errorf("%s: %d audit events, revision %d", c.ID, len(audit), c.Revision)
	}
	for i, ev := range audit {
		if ev.Seq != int64(i+1) {
			h.t.Errorf("%s: audit event %d has seq %d", c.ID, i+1, ev.Seq)
			break
		}
	}
	shown := h.chat.Events(c.ID)
	if len(shown) != len(audit) {
		h.t.Errorf("%s: chat showed %d distinct events, audit has %d", c.ID, len(shown), len(audit))
	}
	for i := range min(len(shown), len(audit)) {
		if shown[i].Seq != audit[i].Seq || shown[i].Type != audit[i].Type {
			h.t.Errorf("%s: chat event %d is %d %s, audit has %d %s", c.ID, i, shown[i].Seq, shown[i].Type, audit[i].Seq, audit[i].Type)
			break
		}
	}
}

// failedStage asserts stage failed at phase and returns it.
func failedStage(t *testing.T, c *runbooks.Cycle, stage string, phase runbooks.Phase) *runbooks.Stage {
	t.Helper()
	s, _ := c.Stage(stage)
	if c.Status != runbooks.StatusHalted || s.Phase != runbooks.PhaseFailed || s.Failure == nil || s.Failure.Phase != phase {
		t.Fatalf("%s: cycle %s, stage phase %s, failure %+v; want halted with %s failed at %s", c.ID, c.Status, s.Phase, s.Failure, stage, phase)
	}
	if c.Halt == nil || c.Halt.By != runbooks.ActorSystem || !strings.Contains(c.Halt.Reason, s.Failure.Reason) {
		t.Errorf("%s: halt %+v does not carry the failure %q", c.ID, c.Halt, s.Failure.Reason)
	}
	return s
}

// findingNames lists the host names of findings, sorted.
func findingNames(fs []runbooks.Finding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.HostName)
	}
	slices.Sort(out)
	return out
}

// checkIncident asserts the sim's pager state for one dedup key.
func checkIncident(t *testing.T, st sim.Stats, key, status string, triggers, acks, resolves int) {
	t.Helper()
	inc, ok := st.Incidents[key]
	if !ok {
		t.Fatalf("no incident %s (have %v)", key, st.Incidents)
	}
	if inc.Status != status || inc.Triggers != triggers || inc.Acks != acks || inc.Resolves != resolves || inc.Opened != 1 {
		t.Errorf("incident %s: %s, %d triggers, %d acks, %d resolves, opened %d; want %s, %d, %d, %d, opened 1",
			key, inc.Status, inc.Triggers, inc.Acks, inc.Resolves, inc.Opened, status, triggers, acks, resolves)
	}
}

// checkPatched asserts which hosts still have patches pending.
func checkPatched(t *testing.T, f *sim.Fleet, patched, unpatched []string) {
	t.Helper()
	for _, n := range patched {
		if h, ok := f.Host(n); !ok || h.PendingPatches != 0 {
			t.Errorf("%s: %d patches pending (found %v), want patched", n, h.PendingPatches, ok)
		}
	}
	for _, n := range unpatched {
		if h, ok := f.Host(n); !ok || h.PendingPatches == 0 {
			t.Errorf("%s: patched (found %v), but it was excluded", n, ok)
		}
	}
}

// finish runs the cycle to its archive and returns it completed.
func (h *harness) finish(ctx context.Context, id string) *runbooks.Cycle {
	h.t.Helper()
	h.runToEnd(ctx, 40)
	c := h.cycle(ctx, id)
	if c.Status != runbooks.StatusCompleted {
		h.t.Fatalf("%s: %s, want completed", id, c.Status)
	}
	h.checkTrail(ctx, c)
	return c
}
