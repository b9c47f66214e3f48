package test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// autoNonprod declares auto_remediate on the nonprod tier.
func autoNonprod(_ *runbooks.Deps, p *runbooks.Pipeline) {
	for i := range *p {
		if (*p)[i].Env == "nonprod" {
			(*p)[i].AutoRemediate = true
		}
	}
}

// remHarness is three replicas over one store with the fleet as Config.
func remHarness(t *testing.T, b backend, opts ...harnessOption) *harness {
	opts = append(opts, func(deps *runbooks.Deps, _ *runbooks.Pipeline) { deps.Compliance = deps.Patcher.(*sim.Fleet) })
	return newGateHarness(t, b, sim.Faults{}, opts...)
}

// nonCompliant is the event Config sends when instance h falls out of
// patch compliance, as the intake triaged it.
func nonCompliant(id string, h runbooks.Host, tenant, env string, at time.Time) runbooks.ComplianceEvent {
	return runbooks.ComplianceEvent{ID: id, Account: h.Account, Region: h.Region, InstanceID: h.ID,
		Rule: "ec2-managedinstance-patch-compliance-status-check", Compliance: runbooks.NonCompliant,
		At: at, Source: "sqs:patchgate-compliance", Tenant: tenant, Env: env}
}

func (h *harness) envHosts(tenant, env string) []runbooks.Host {
	h.t.Helper()
	hs, err := h.fleet.Peek(tenant + "/" + env)
	if err != nil || len(hs) == 0 {
		h.t.Fatalf("hosts of %s/%s: %v (%d)", tenant, env, err, len(hs))
	}
	return hs
}

// intakeEverywhere delivers ev to every replica at once, twice over, and
// returns the one remediation they all name.
func (h *harness) intakeEverywhere(ctx context.Context, ev runbooks.ComplianceEvent) string {
	h.t.Helper()
	ids := make([]string, 2*len(h.engines))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for k := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[k], errs[k] = h.engines[k%len(h.engines)].IntakeComplianceEvent(ctx, ev)
		}()
	}
	wg.Wait()
	for k := range ids {
		if errs[k] != nil {
			h.t.Fatalf("intake %s on replica %d: %v", ev.ID, k%len(h.engines), errs[k])
		}
		if ids[k] != ids[0] {
			h.t.Fatalf("event %s went to %s and %s", ev.ID, ids[0], ids[k])
		}
	}
	return ids[0]
}

func (h *harness) remediation(ctx context.Context, id string) *runbooks.Remediation {
	h.t.Helper()
	r, err := h.engines[0].GetRemediation(ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

func (h *harness) remEvents(ctx context.Context, id string) []runbooks.Event {
	h.t.Helper()
	evs, err := h.engines[0].RemediationEvents(ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return evs
}

func countType(evs []runbooks.Event, typ string) int {
	n := 0
	for _, ev := range evs {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// runRemediation ticks every replica, a minute of clock apart, until the
// remediation is archived or rounds run out.
func (h *harness) runRemediation(ctx context.Context, id string, rounds int) *runbooks.Remediation {
	h.t.Helper()
	for range rounds {
		h.tickAll(ctx)
		if r := h.remediation(ctx, id); r.Status.Terminal() || r.Status == runbooks.RemAwaitingApproval || r.Status == runbooks.RemFailed {
			h.tickAll(ctx)
			return h.remediation(ctx, id)
		}
		h.clock.Advance(time.Minute)
	}
	return h.remediation(ctx, id)
}

func (h *harness) decideRem(ctx context.Context, id string, a runbooks.DecisionAction, actor, reason string) (runbooks.Outcome, error) {
	h.t.Helper()
	r := h.remediation(ctx, id)
	return h.engines[1].Decide(ctx, runbooks.Decision{Cycle: id, Action: a, Actor: actor, Reason: reason,
		SeenRevision: r.Revision, InteractionID: fmt.Sprintf("%s-%s-%s-r%d", id, a, actor, r.Revision)})
}

// TestConfigEventOneCardPerTenantPerWindow: events for several instances
// of one tenant's environment, each delivered twice to three replicas at
// once, open one remediation holding each event once; the card is posted
// once when the debounce window ends; an event after it opens a new one.
func TestConfigEventOneCardPerTenantPerWindow(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			h := remHarness(t, b)
			tn := gateTenant().Name
			hosts := append(h.envHosts(tn, "nonprod"), h.envHosts(tn, "nonprod")...)
			var id string
			for k, host := range hosts {
				got := h.intakeEverywhere(ctx, nonCompliant(fmt.Sprintf("ev-%d", k), host, tn, "nonprod", start.Add(-time.Duration(k)*time.Hour)))
				if id == "" {
					id = got
				}
				if got != id {
					t.Fatalf("event %d opened %s beside %s in one window", k, got, id)
				}
				h.clock.Advance(time.Minute)
			}
			open, _ := h.engines[2].Remediations(ctx, false)
			if len(open) != 1 {
				t.Fatalf("%d remediations open, want 1", len(open))
			}
			r := h.remediation(ctx, id)
			distinct := len(h.envHosts(tn, "nonprod"))
			if len(r.Instances) != distinct || r.Status != runbooks.RemCollecting {
				t.Fatalf("remediation holds %d instances, %s; want %d, collecting", len(r.Instances), r.Status, distinct)
			}
			// Each event's claim names the remediation; the record itself
			// is written once, when the window opens, however many join.
			for k := range hosts {
				c, err := h.store.Get(ctx, fmt.Sprintf("runbooks/remediation/event/ev-%d", k))
				if err != nil || string(c.Value) != id {
					t.Fatalf("claim of ev-%d: %q, %v; want %s", k, c.Value, err, id)
				}
			}
			if raw, err := h.store.Get(ctx, "runbooks/remediation/active/"+id); err != nil || raw.Version != 1 {
				t.Fatalf("the collecting record is at version %d (%v); want 1: events rewrote it", raw.Version, err)
			}
			// A redelivery writes nothing.
			before := r.Version
			if again := h.intakeEverywhere(ctx, nonCompliant("ev-0", hosts[0], tn, "nonprod", start)); again != id || h.remediation(ctx, id).Version != before {
				t.Fatalf("redelivered event went to %s (want %s) or rewrote the record", again, id)
			}
			h.clock.Advance(runbooks.DefaultRemediationDebounce)
			r = h.runRemediation(ctx, id, 3)
			if r.Status != runbooks.RemAwaitingApproval {
				t.Fatalf("after the window the remediation is %s, want awaiting approval", r.Status)
			}
			evs := h.remEvents(ctx, id)
			if countType(evs, runbooks.EvRemediationOpened) != 1 || countType(evs, runbooks.EvRemediationCard) != 1 {
				t.Fatalf("audit trail has %d opened and %d card events, want one each", countType(evs, runbooks.EvRemediationOpened), countType(evs, runbooks.EvRemediationCard))
			}
			if got := countType(evs, runbooks.EvRemediationEvent); got != distinct {
				t.Errorf("%d instance records, want %d (one per instance, none twice)", got, distinct)
			}
			next := h.intakeEverywhere(ctx, nonCompliant("ev-late", hosts[0], tn, "nonprod", h.clock.Now()))
			if next == id {
				t.Fatalf("an event after the window joined the closed card %s", id)
			}
		})
	}
}

// TestConfigEventApprovedRemediationPatchesOnce: an approved remediation
// runs the cycle's gates on just its instances, sends one patch for them,
// and resolves once Config reports them COMPLIANT after the patch.
func TestConfigEventApprovedRemediationPatchesOnce(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			h := remHarness(t, b)
			tn := gateTenant().Name
			host := h.envHosts(tn, "staging")[0]
			id := h.intakeEverywhere(ctx, nonCompliant("ev-1", host, tn, "staging", start.Add(-3*24*time.Hour)))
			h.clock.Advance(runbooks.DefaultRemediationDebounce)
			h.runRemediation(ctx, id, 3)
			if _, err := h.decideRem(ctx, id, runbooks.Approve, alice, ""); err != nil {
				t.Fatal(err)
			}
			r := h.runRemediation(ctx, id, 30)
			if r.Status != runbooks.RemResolved {
				t.Fatalf("remediation %s, want resolved (failure %+v, last error %s)", r.Status, r.Failure, r.LastError)
			}
			st := h.fleet.Stats()
			tag := id + "/patch/0"
			if st.Patches.ByTag[tag] != 1 || st.Patches.Duplicates != 0 || st.Patches.Starts != 1 {
				t.Fatalf("patches %+v: want one start for %s", st.Patches, tag)
			}
			var gates []string
			for _, g := range r.Gates {
				gates = append(gates, g.Name)
			}
			if !slices.Equal(gates, []string{"inventory", "sensors", "backup", "patch", "verify"}) {
				t.Errorf("gates %v", gates)
			}
			if in := r.Instances[0]; in.Compliance != runbooks.Compliant || in.CompliantSource != runbooks.SourceSimulation {
				t.Errorf("instance %+v: want COMPLIANT from the simulation", in)
			}
			if !r.Approvals[0].At.After(time.Time{}) || r.Approvals[0].By != alice {
				t.Errorf("approvals %+v", r.Approvals)
			}
		})
	}
}

// TestConfigEventProductionFourEyes: a production remediation needs two
// different approvers; the same person twice and an outsider are refused
// with their codes, and each refusal is audited.
func TestConfigEventProductionFourEyes(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			h := remHarness(t, b)
			tn := gateTenant().Name
			host := h.envHosts(tn, "production")[0]
			id := h.intakeEverywhere(ctx, nonCompliant("ev-p", host, tn, "production", start))
			if _, err := h.decideRem(ctx, id, runbooks.Approve, alice, ""); runbooks.ErrorCode(err) != runbooks.CodeConflict {
				t.Fatalf("approval while collecting: %v, want conflict", err)
			}
			h.clock.Advance(runbooks.DefaultRemediationDebounce)
			r := h.runRemediation(ctx, id, 3)
			if r.MinApprovals != 2 || !r.FourEyes || !r.Production || r.AutoRemediate {
				t.Fatalf("production policy copied as %+v", r)
			}
			refused := func(actor, code string) {
				t.Helper()
				n := len(h.refusals(ctx, id))
				if _, err := h.decideRem(ctx, id, runbooks.Approve, actor, ""); runbooks.ErrorCode(err) != code {
					t.Fatalf("approve by %s: %v, want %s", actor, err, code)
				}
				refs := h.refusals(ctx, id)
				if len(refs) != n+1 || refs[len(refs)-1].Data["code"] != code {
					t.Fatalf("refusal of %s not audited: %+v", actor, refs)
				}
			}
			refused(outsider, runbooks.CodeForbidden)
			if _, err := h.decideRem(ctx, id, runbooks.Approve, alice, ""); err != nil {
				t.Fatal(err)
			}
			if r := h.remediation(ctx, id); r.Status != runbooks.RemAwaitingApproval {
				t.Fatalf("after one production approval: %s, want still awaiting", r.Status)
			}
			refused(alice, runbooks.CodeSelfApproval)
			if _, err := h.decideRem(ctx, id, runbooks.Approve, bob, ""); err != nil {
				t.Fatal(err)
			}
			if r := h.remediation(ctx, id); r.Status != runbooks.RemApproved || len(r.Approvals) != 2 {
				t.Fatalf("after alice and bob: %s with %d approvals", r.Status, len(r.Approvals))
			}
		})
	}
}

// TestConfigEventDismissWithReasonAudited: a dismissal needs a reason; the
// reason and the person are in the audit trail, and nothing is patched.
func TestConfigEventDismissWithReasonAudited(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			h := remHarness(t, b)
			tn := gateTenant().Name
			host := h.envHosts(tn, "nonprod")[0]
			id := h.intakeEverywhere(ctx, nonCompliant("ev-d", host, tn, "nonprod", start))
			h.clock.Advance(runbooks.DefaultRemediationDebounce)
			h.runRemediation(ctx, id, 3)
			if _, err := h.decideRem(ctx, id, runbooks.Dismiss, alice, " "); runbooks.ErrorCode(err) != runbooks.CodeInvalid {
				t.Fatalf("dismiss without a reason: %v, want invalid", err)
			}
			if _, err := h.decideRem(ctx, id, runbooks.Dismiss, alice, "decommissioned on Friday"); err != nil {
				t.Fatal(err)
			}
			r := h.runRemediation(ctx, id, 3)
			if r.Status != runbooks.RemDismissed || r.Dismissal != "decommissioned on Friday" {
				t.Fatalf("remediation %s (%q)", r.Status, r.Dismissal)
			}
			evs := h.remEvents(ctx, id)
			i := slices.IndexFunc(evs, func(ev runbooks.Event) bool { return ev.Type == runbooks.EvRemediationDismissed })
			if i < 0 || evs[i].Actor != alice || evs[i].Person == nil || evs[i].Data["reason"] != "decommissioned on Friday" {
				t.Fatalf("dismissal not audited with person and reason: %+v", evs)
			}
			if st := h.fleet.Stats(); st.Patches.Starts != 0 || st.Backups.Starts != 0 {
				t.Errorf("a dismissed remediation sent %d patches, %d backups", st.Patches.Starts, st.Backups.Starts)
			}
			if done, _ := h.engines[0].Remediations(ctx, true); len(done) != 1 {
				t.Errorf("%d finished remediations, want the dismissed one archived", len(done))
			}
		})
	}
}

// TestConfigEventAutoRemediateAudited: a nonprod tier that declares
// auto_remediate approves without a person, and the audit trail says so;
// production in the same pipeline still waits.
func TestConfigEventAutoRemediateAudited(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			h := remHarness(t, b, autoNonprod)
			tn := gateTenant().Name
			id := h.intakeEverywhere(ctx, nonCompliant("ev-a", h.envHosts(tn, "nonprod")[0], tn, "nonprod", start))
			h.clock.Advance(runbooks.DefaultRemediationDebounce)
			r := h.runRemediation(ctx, id, 30)
			if r.Status != runbooks.RemResolved || len(r.Approvals) != 0 {
				t.Fatalf("auto remediation %s with %d approvals; want resolved with none", r.Status, len(r.Approvals))
			}
			evs := h.remEvents(ctx, id)
			i := slices.IndexFunc(evs, func(ev runbooks.Event) bool { return ev.Type == runbooks.EvRemediationAuto })
			if i < 0 || evs[i].Actor != runbooks.ActorSystem || evs[i].Data["policy"] != "auto_remediate" {
				t.Fatalf("auto-approval not audited: %+v", evs)
			}
			pid := h.intakeEverywhere(ctx, nonCompliant("ev-prod", h.envHosts(tn, "production")[0], tn, "production", start))
			h.clock.Advance(runbooks.DefaultRemediationDebounce)
			if p := h.runRemediation(ctx, pid, 3); p.Status != runbooks.RemAwaitingApproval {
				t.Fatalf("production remediation %s, want awaiting approval", p.Status)
			}
		})
	}
}

// TestConfigEventCompliantWithoutRemediationIsRecorded: a COMPLIANT event
// for an instance no remediation holds opens nothing, is recorded on the
// tenant's compliance stream once, and a redelivery records nothing new.
func TestConfigEventCompliantWithoutRemediationIsRecorded(t *testing.T) {
	ctx := context.Background()
	h := remHarness(t, backends()[0])
	tn := gateTenant().Name
	ev := nonCompliant("ev-c", h.envHosts(tn, "nonprod")[0], tn, "nonprod", start)
	ev.Compliance = runbooks.Compliant
	for range 2 {
		if id := h.intakeEverywhere(ctx, ev); id != "" {
			t.Fatalf("a COMPLIANT event opened %s", id)
		}
	}
	streams, err := h.store.Streams(ctx, runbooks.ComplianceStreamPrefix(tn))
	if err != nil || len(streams) != 1 {
		t.Fatalf("compliance streams %v (%v), want one", streams, err)
	}
	entries, err := h.store.Read(ctx, runbooks.ComplianceStream(tn, ev.ID), 1, 0)
	if err != nil || len(entries) != 1 {
		t.Fatalf("compliance stream: %d entries (%v), want 1", len(entries), err)
	}
	if open, _ := h.engines[0].Remediations(ctx, false); len(open) != 0 {
		t.Fatalf("%d remediations open", len(open))
	}
}
