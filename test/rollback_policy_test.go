package test

import (
	"context"
	"testing"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// TestRollbackPolicyRefusals: in production an outsider cannot request a
// rollback, a host without a pre-patch backup is refused, the requester
// cannot approve their own rollback (four eyes), a decision on a stale
// message and an outsider's approval are refused, a host already in an
// open rollback cannot be claimed twice — each with its code, and each
// refusal audited.
func TestRollbackPolicyRefusals(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			h := newGateHarness(t, b, sim.Faults{}, withRestorer)
			c := h.start(ctx, tn)
			c = h.finish(ctx, c.ID)
			e := h.engines[0]
			req := runbooks.RollbackRequest{Cycle: c.ID, Env: "production", Requester: requester, Reason: "regression"}

			refusedRequest := func(r runbooks.RollbackRequest, code string) {
				t.Helper()
				before, _ := e.StartRefusals(ctx, tn)
				if _, err := e.RequestRollback(ctx, r); runbooks.ErrorCode(err) != code {
					t.Fatalf("request %+v: %v, want code %s", r, err, code)
				}
				after, _ := e.StartRefusals(ctx, tn)
				if len(after) != len(before)+1 {
					t.Fatalf("refused request not audited: %d refusals before, %d after", len(before), len(after))
				}
				last := after[len(after)-1]
				if last.Type != runbooks.EvRollbackRefused || last.Data["code"] != code || last.Actor != r.Requester {
					t.Errorf("refusal recorded as %+v", last)
				}
			}
			out := req
			out.Requester = outsider
			refusedRequest(out, runbooks.CodeForbidden)
			nob := req
			nob.Hosts = []string{"no-such-host"}
			refusedRequest(nob, runbooks.CodeNoBackup)

			one := req
			prod := hostName(tn, "production", "web-01")
			one.Hosts = []string{prod}
			rb, err := e.RequestRollback(ctx, one)
			if err != nil {
				t.Fatal(err)
			}
			if rb.MinApprovals != 2 || !rb.FourEyes || len(rb.Hosts) != 1 || rb.Hosts[0].Host.Name != prod {
				t.Fatalf("production rollback %+v: want two approvers, four eyes, %s only", rb, prod)
			}
			refusedRequest(one, runbooks.CodeConflict) // the host is taken

			refusedDecision := func(d runbooks.Decision, code string) {
				t.Helper()
				before := h.rollback(ctx, rb.ID)
				nref := len(h.refusals(ctx, rb.ID))
				if _, err := h.engines[1].Decide(ctx, d); runbooks.ErrorCode(err) != code {
					t.Fatalf("%s by %s: %v, want code %s", d.Action, d.Actor, err, code)
				}
				after := h.rollback(ctx, rb.ID)
				if after.Revision != before.Revision || after.Status != before.Status {
					t.Errorf("refused %s changed the rollback", d.Action)
				}
				refs := h.refusals(ctx, rb.ID)
				if len(refs) != nref+1 || refs[len(refs)-1].Data["code"] != code || refs[len(refs)-1].Actor != d.Actor {
					t.Errorf("refused %s by %s not audited: %v", d.Action, d.Actor, refs)
				}
			}
			rev := h.rollback(ctx, rb.ID).Revision
			refusedDecision(runbooks.Decision{Cycle: rb.ID, Action: runbooks.Approve, Actor: outsider, SeenRevision: rev}, runbooks.CodeForbidden)
			refusedDecision(runbooks.Decision{Cycle: rb.ID, Action: runbooks.Approve, Actor: requester, SeenRevision: rev}, runbooks.CodeSelfApproval)
			if _, err := h.decideRollback(ctx, rb.ID, runbooks.Approve, alice); err != nil {
				t.Fatal(err)
			}
			if got := h.rollback(ctx, rb.ID); got.Status != runbooks.RollbackAwaitingApproval {
				t.Fatalf("after one production approval the rollback is %s, want still awaiting the second", got.Status)
			}
			// bob clicks on the message as it was before alice's approval.
			refusedDecision(runbooks.Decision{Cycle: rb.ID, Action: runbooks.Approve, Actor: bob, SeenRevision: rev}, runbooks.CodeStale)
			refusedDecision(runbooks.Decision{Cycle: rb.ID, Action: runbooks.Approve, Actor: alice, SeenRevision: h.rollback(ctx, rb.ID).Revision}, runbooks.CodeConflict)
			if _, err := h.decideRollback(ctx, rb.ID, runbooks.Approve, bob); err != nil {
				t.Fatal(err)
			}
			rb = h.runRollback(ctx, rb.ID)
			if rb.Status != runbooks.RollbackCompleted {
				t.Fatalf("rollback %s: %s (%+v)", rb.ID, rb.Status, rb.Failure)
			}
			checkRestoredOnce(t, h.fleet, rb)
			if len(rb.Approvals) != 2 || rb.Approvals[0].Person == nil {
				t.Errorf("approvals %+v: want alice and bob with their person records", rb.Approvals)
			}
			// The host is free again once the rollback is archived.
			if _, err := e.RequestRollback(ctx, one); err != nil {
				t.Errorf("a second rollback after the first finished: %v", err)
			}
		})
	}
}
