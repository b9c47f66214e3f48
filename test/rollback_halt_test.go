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

// heldRestorer is the sim's restorer, except that the second host whose
// restore is asked for is answered "pending" (the cloud throttles) until
// released, and the first host's restore keeps running until its polls are
// let through: the rollback stands with one restore running and two not
// started.
type heldRestorer struct {
	runbooks.Restorer
	mu       sync.Mutex
	first    string
	held     string
	released bool
	running  bool           // the first host's restore still runs
	starts   map[string]int // StartRestore calls by host
}

func (r *heldRestorer) PollRestore(ctx context.Context, req runbooks.RestoreRequest, handle string) (runbooks.RestoreStatus, error) {
	r.mu.Lock()
	hold := req.Host.ID == r.first && r.running
	r.mu.Unlock()
	if hold {
		return runbooks.RestoreStatus{}, runbooks.Errorf(runbooks.CodePending, "still copying; try again")
	}
	return r.Restorer.PollRestore(ctx, req, handle)
}

func (r *heldRestorer) StartRestore(ctx context.Context, req runbooks.RestoreRequest) (runbooks.RestoreStatus, error) {
	r.mu.Lock()
	r.starts[req.Host.ID]++
	switch {
	case r.first == "":
		r.first = req.Host.ID
	case r.held == "" && req.Host.ID != r.first:
		r.held = req.Host.ID
	}
	hold := req.Host.ID == r.held && !r.released
	r.mu.Unlock()
	if hold {
		return runbooks.RestoreStatus{}, runbooks.Errorf(runbooks.CodePending, "throttled; try again")
	}
	st, err := r.Restorer.StartRestore(ctx, req)
	r.mu.Lock()
	if req.Host.ID == r.first && r.running {
		st.Done = false // the sim restores at once; this one is still copying
	}
	r.mu.Unlock()
	return st, err
}

func (r *heldRestorer) calls(host string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.starts[host]
}

// TestRollbackHaltFinishesTheRunningRestoreAndStartsNoOther: a halt while
// one host's restore runs starts no other host's restore; the running one
// finishes and is reported, then the rollback waits halted (an outsider
// may not halt, a resume by an approver restores the rest, each host once).
func TestRollbackHaltFinishesTheRunningRestoreAndStartsNoOther(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			held := &heldRestorer{starts: map[string]int{}, running: true}
			h := newGateHarness(t, b, sim.Faults{}, func(deps *runbooks.Deps, _ *runbooks.Pipeline) {
				held.Restorer = deps.Backups.(runbooks.Restorer)
				deps.Restorer = held
			})
			c := h.finish(ctx, h.start(ctx, gateTenant().Name).ID)
			rb, err := h.engines[0].RequestRollback(ctx, runbooks.RollbackRequest{Cycle: c.ID, Env: "staging", Requester: requester})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.decideRollback(ctx, rb.ID, runbooks.Approve, alice); err != nil {
				t.Fatal(err)
			}
			h.tickAll(ctx)
			rb = h.rollback(ctx, rb.ID)
			sent := 0
			for _, rh := range rb.Hosts {
				if rh.Restore.Sent() {
					sent++
				}
			}
			if sent != 1 || held.held == "" {
				t.Fatalf("after one tick %d restores sent (held %q), want exactly one running", sent, held.held)
			}

			halt := runbooks.Decision{Cycle: rb.ID, Action: runbooks.HaltCycle, Actor: "U0OUTSIDER", Reason: "app team sees data loss"}
			if _, err := h.engines[1].Decide(ctx, halt); runbooks.ErrorCode(err) != runbooks.CodeForbidden {
				t.Fatalf("halt by an outsider: %v, want forbidden", err)
			}
			halt.Actor, halt.SeenRevision = alice, rb.Revision-1 // a halt from an old message still halts
			out, err := h.engines[1].Decide(ctx, halt)
			if err != nil || !strings.Contains(out.Message, "1 running restore(s) finish") {
				t.Fatalf("halt: %+v, %v", out.Message, err)
			}
			heldCalls := held.calls(held.held)
			held.mu.Lock()
			held.running = false // the running restore goes on to its end
			held.mu.Unlock()
			for range 20 {
				if rb = h.rollback(ctx, rb.ID); rb.Status == runbooks.RollbackHalted {
					break
				}
				h.tickAll(ctx)
				h.clock.Advance(10 * time.Minute)
			}
			if rb.Status != runbooks.RollbackHalted {
				t.Fatalf("rollback is %s, want halted", rb.Status)
			}
			for _, rh := range rb.Hosts {
				switch id := rh.Host.ID; {
				case id == held.first && !rh.Restore.Done:
					t.Errorf("%s: the running restore did not finish: %+v", rh.Host.Name, rh.Restore)
				case id != held.first && rh.Restore.Sent():
					t.Errorf("%s: restore started after the halt: %+v", rh.Host.Name, rh.Restore)
				case id == held.held && held.calls(id) != heldCalls:
					t.Errorf("%s: asked to restore %d more times after the halt", rh.Host.Name, held.calls(id)-heldCalls)
				case id != held.first && id != held.held && held.calls(id) != 0:
					t.Errorf("%s: asked to restore after the halt", rh.Host.Name)
				}
			}
			evs, err := h.engines[0].RollbackEvents(ctx, rb.ID)
			if err != nil {
				t.Fatal(err)
			}
			var order []string
			for _, ev := range evs {
				switch ev.Type {
				case runbooks.EvRollbackHalting, runbooks.EvRollbackHalted:
					order = append(order, ev.Type)
				case runbooks.EvRestoreDone:
					order = append(order, ev.Type+":"+ev.Stage)
				}
				if ev.Type == runbooks.EvRollbackHalted && !strings.Contains(ev.Detail, "1 host(s) restored") {
					t.Errorf("halted event says %q; want the restored and the not started hosts", ev.Detail)
				}
			}
			want := []string{runbooks.EvRollbackHalting, runbooks.EvRestoreDone + ":" + held.first, runbooks.EvRollbackHalted}
			if strings.Join(order, " ") != strings.Join(want, " ") {
				t.Errorf("audit trail %v, want %v", order, want)
			}

			// Resumed, the rest are restored, each host once.
			held.mu.Lock()
			held.released = true
			held.mu.Unlock()
			if _, err := h.decideRollback(ctx, rb.ID, runbooks.Resume, alice); err != nil {
				t.Fatal(err)
			}
			rb = h.runRollback(ctx, rb.ID)
			if rb.Status != runbooks.RollbackCompleted {
				t.Fatalf("rollback after resume: %s %+v", rb.Status, rb.Failure)
			}
			checkRestoredOnce(t, h.fleet, rb)
		})
	}
}
