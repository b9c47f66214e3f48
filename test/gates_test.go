package test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
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
func newGateHarness(t *testing.T, b backend, faults sim.Faults) *harness {
	t.Helper()
	return newHarness(t, b.open(t), sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{gateTenant()},
		HostsPerTarget: 1, Faults: faults}, 3)
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
		SeenVersion: c.Revision, InteractionID: fmt.Sprintf("%s-%s-%s-%s-r%d", id, stage, a, actor, c.Revision)})
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

// TestSensorKernelGate: a RHEL host offered a kernel its Falcon sensor does
// not support stops nonprod before anything is backed up or patched; after
// the sensor is upgraded a retry passes and the host ends on the new kernel
// with a fully functional sensor.
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

// TestFourEyes: the requester, though a production approver, cannot approve
// their own cycle's production stage; the refusal is audited.
func TestFourEyes(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			h := newGateHarness(t, b, sim.Faults{})
			c := h.start(ctx, tn)
			c = h.runUntil(ctx, c.ID, "production awaits approval", awaiting("production"))

			h.refused(ctx, c.ID, "production", runbooks.Approve, requester, runbooks.CodeSelfApproval)
			h.mustDecide(ctx, c.ID, "production", runbooks.Approve, alice)
			h.refused(ctx, c.ID, "production", runbooks.Approve, requester, runbooks.CodeSelfApproval)
			refs := h.refusals(ctx, c.ID)
			if len(refs) != 2 {
				t.Fatalf("%d refusals, want 2", len(refs))
			}
			for _, r := range refs {
				if r.Actor != requester || r.Stage != "production" || r.Data["code"] != runbooks.CodeSelfApproval {
					t.Errorf("refusal %+v, want the requester's self-approval of production", r)
				}
			}
			c = h.cycle(ctx, c.ID)
			if prod, _ := c.Stage("production"); prod.Phase != runbooks.PhaseApproval || len(prod.Approvals) != 1 || prod.ApprovedBy(requester) {
				t.Fatalf("production %s with approvals %v", prod.Phase, prod.Approvals)
			}
			// The requester may still halt their own cycle, and alice resume it.
			h.mustDecide(ctx, c.ID, "", runbooks.HaltCycle, requester)
			h.mustDecide(ctx, c.ID, "", runbooks.Resume, alice)
			h.mustDecide(ctx, c.ID, "production", runbooks.Approve, bob)
			c = h.finish(ctx, c.ID)
			checkApprovals(t, c)
			verifyAllStreams(t, h.store)
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
