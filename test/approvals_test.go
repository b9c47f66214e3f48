package test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

type decideCase struct {
	kind string
	d    runbooks.Decision
}

// TestConcurrentDecide fires 500 decisions at once at a production stage
// (duplicate deliveries of one click, other approvers, the requester, an
// outsider, stale messages), twice, and checks that exactly the outcomes the
// policy allows happened: one approval per round, every refusal coded and
// audited, duplicates harmless.
func TestConcurrentDecide(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tenants := sim.GenerateTenants(1, 3)
			h := newHarness(t, b.open(t), sim.Config{Seed: 3, Tenants: tenants, HostsPerTarget: 1}, 3)
			c, err := h.engines[0].Start(ctx, tenants[0].Name, requester)
			if err != nil {
				t.Fatal(err)
			}
			c = h.driveTo(ctx, c.ID, "production")
			refusalsBefore := countRefusals(t, h, c.ID)
			totalRefused := 0

			approvers := []string{alice, bob}
			for round := 0; round < 2; round++ {
				c, err = h.engines[0].Get(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				rev := c.Revision
				first, other := approvers[0], approvers[1]
				var cases []decideCase
				click := fmt.Sprintf("click-%d", round)
				add := func(kind string, n int, mk func(i int) runbooks.Decision) {
					for i := range n {
						d := mk(i)
						d.Cycle, d.Stage = c.ID, "production"
						if d.Action == "" {
							d.Action = runbooks.Approve
						}
						cases = append(cases, decideCase{kind, d})
					}
				}
				add("dup", 150, func(int) runbooks.Decision {
					return runbooks.Decision{Actor: first, SeenRevision: rev, InteractionID: click}
				})
				add("other", 100, func(i int) runbooks.Decision {
					return runbooks.Decision{Actor: other, SeenRevision: rev, InteractionID: fmt.Sprintf("o-%d-%d", round, i)}
				})
				add("self", 100, func(i int) runbooks.Decision {
					return runbooks.Decision{Actor: requester, SeenRevision: rev, InteractionID: fmt.Sprintf("s-%d-%d", round, i)}
				})
				add("outsider", 100, func(i int) runbooks.Decision {
					a := runbooks.Approve
					if i%2 == 1 {
						a = runbooks.Reject
					}
					return runbooks.Decision{Actor: outsider, Action: a, SeenRevision: rev, InteractionID: fmt.Sprintf("x-%d-%d", round, i)}
				})
				add("stale", 50, func(i int) runbooks.Decision {
					return runbooks.Decision{Actor: other, SeenRevision: rev - 1, InteractionID: fmt.Sprintf("st-%d-%d", round, i)}
				})
				if len(cases) != 500 {
					t.Fatalf("built %d decisions", len(cases))
				}

				outs := make([]runbooks.Outcome, len(cases))
				errs := make([]error, len(cases))
				var wg sync.WaitGroup
				gate := make(chan struct{})
				for i, dc := range cases {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-gate
						outs[i], errs[i] = h.engines[i%3].Decide(ctx, dc.d)
					}()
				}
				close(gate)
				wg.Wait()

				after, err := h.engines[0].Get(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				prod, _ := after.Stage("production")
				if len(prod.Approvals) != round+1 {
					t.Fatalf("round %d: %d approvals recorded, want %d", round, len(prod.Approvals), round+1)
				}
				winner := prod.Approvals[round].By
				if round == 1 && winner != first {
					t.Fatalf("round 1 approval by %s; only %s could still approve", winner, first)
				}
				applied := 0
				for i, dc := range cases {
					if errs[i] == nil && !outs[i].Duplicate {
						applied++
						if dc.d.Actor != winner {
							t.Errorf("round %d: %s applied for %s, but the approval is %s's", round, dc.kind, dc.d.Actor, winner)
						}
						continue
					}
					if errs[i] != nil {
						totalRefused++
					}
					got, want := runbooks.ErrorCode(errs[i]), expectedCode(dc.kind, dc.d.Actor == winner, round)
					if dc.kind == "stale" && got == runbooks.CodeStale && want == runbooks.CodeConflict {
						continue // judged before its actor's own click won: outdated either way
					}
					if got != want {
						t.Errorf("round %d %s by %s: code %q (%v), want %q", round, dc.kind, dc.d.Actor, got, errs[i], want)
					}
				}
				if applied != 1 {
					t.Errorf("round %d: %d decisions applied, want exactly 1", round, applied)
				}
				// Round 1: the one who has not approved yet clicks (and is
				// redelivered); the round-0 winner's clicks are refused.
				approvers = []string{map[bool]string{true: bob, false: alice}[winner == alice], winner}
			}
			if got := countRefusals(t, h, c.ID) - refusalsBefore; got != totalRefused {
				t.Errorf("refusal stream grew by %d, want %d (every refusal audited)", got, totalRefused)
			}
			c, _ = h.engines[0].Get(ctx, c.ID)
			if prod, _ := c.Stage("production"); prod.Phase == runbooks.PhaseApproval {
				t.Errorf("production still awaiting approval after two approvals")
			}
			verifyAllStreams(t, h.store)
		})
	}
}

// expectedCode is the code a decision that was not applied must get once
// the round's single approval is in ("" for a harmless duplicate).
// actorWon: this decision's actor is the one whose approval was recorded.
func expectedCode(kind string, actorWon bool, round int) string {
	switch {
	case kind == "self":
		return runbooks.CodeSelfApproval
	case kind == "outsider":
		return runbooks.CodeForbidden
	case kind == "dup" && actorWon:
		return "" // redelivery of the applied click
	case actorWon || round == 1:
		// Already approved by you, or production no longer awaits approval.
		return runbooks.CodeConflict
	}
	return runbooks.CodeStale // another approval moved the cycle on
}

func countRefusals(t *testing.T, h *harness, id string) int {
	t.Helper()
	r, err := h.engines[0].Refusals(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return len(r)
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
