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

// withRestorer gives every replica the sim as its Restorer.
func withRestorer(deps *runbooks.Deps, _ *runbooks.Pipeline) {
	deps.Restorer = deps.Backups.(runbooks.Restorer)
}

// stagingHealth gives staging a health gate, checked again after patching.
func stagingHealth(_ *runbooks.Deps, p *runbooks.Pipeline) {
	for i := range *p {
		if (*p)[i].Env == "staging" {
			(*p)[i].HealthGate = true
		}
	}
}

func (h *harness) rollback(ctx context.Context, id string) *runbooks.Rollback {
	h.t.Helper()
	rb, err := h.engines[0].GetRollback(ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return rb
}

// decideRollback decides on the rollback's message as it is now.
func (h *harness) decideRollback(ctx context.Context, id string, a runbooks.DecisionAction, actor string) (runbooks.Outcome, error) {
	h.t.Helper()
	rb := h.rollback(ctx, id)
	return h.engines[2].Decide(ctx, runbooks.Decision{Cycle: id, Action: a, Actor: actor, SeenRevision: rb.Revision,
		InteractionID: id + "-" + string(a) + "-" + actor})
}

// runRollback ticks every replica, an hour apart, until the rollback is
// archived, and returns it.
func (h *harness) runRollback(ctx context.Context, id string) *runbooks.Rollback {
	h.t.Helper()
	for range 20 {
		h.tickAll(ctx)
		open, err := h.engines[0].Rollbacks(ctx, false)
		if err != nil {
			h.t.Fatal(err)
		}
		if !slices.ContainsFunc(open, func(r *runbooks.Rollback) bool { return r.ID == id }) {
			return h.rollback(ctx, id)
		}
		h.clock.Advance(10 * time.Minute)
	}
	h.t.Fatalf("rollback %s never finished: %+v", id, h.rollback(ctx, id))
	return nil
}

// checkRestoredOnce asserts every host's restore steps were each sent to
// the cloud exactly once and every host has its boot disk.
func checkRestoredOnce(t *testing.T, f *sim.Fleet, rb *runbooks.Rollback) {
	t.Helper()
	sends := f.RestoreSends()
	for _, h := range rb.Hosts {
		steps := sends[h.Host.ID]
		if len(steps) == 0 {
			t.Errorf("%s: never restored", h.Host.Name)
		}
		for step, n := range steps {
			if n != 1 {
				t.Errorf("%s: restore step %s sent %d times, want once", h.Host.Name, step, n)
			}
		}
		if !f.BootDiskAttached(h.Host.ID) {
			t.Errorf("%s: left without a boot disk", h.Host.Name)
		}
		if !h.Restore.Done {
			t.Errorf("%s: restore not done: %+v", h.Host.Name, h.Restore)
		}
	}
}

// TestRollbackSimStagingHealthGateFails is the demo's story: a staging
// host's application breaks once patched, the post-patch health gate
// fails, a rollback of staging returns every host (AWS, Azure, GCP) to the
// cycle's pre-patch backups exactly once, and the health gate passes again.
func TestRollbackSimStagingHealthGateFails(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			h := newGateHarness(t, b, sim.Faults{AppBreaks: []string{hostName(tn, "staging", "app-01")}}, withRestorer, stagingHealth)
			c := h.start(ctx, tn)
			c = h.runUntil(ctx, c.ID, "staging halts", halted)
			failedStage(t, c, "staging", runbooks.PhaseVerify)

			// The "Roll back all hosts" button on the halted cycle's message:
			// a click on an outdated message is refused, a current one
			// requests the rollback.
			click := runbooks.Decision{Cycle: c.ID, Stage: "staging", Action: runbooks.RollBack, Actor: requester, SeenRevision: c.Revision - 1}
			if _, err := h.engines[1].Decide(ctx, click); runbooks.ErrorCode(err) != runbooks.CodeStale {
				t.Fatalf("rollback click on an outdated message: %v, want stale", err)
			}
			click.SeenRevision = c.Revision
			out, err := h.engines[1].Decide(ctx, click)
			if err != nil {
				t.Fatal(err)
			}
			rb := out.Rollback
			if rb == nil || !strings.Contains(out.Message, "pre-patch backups") {
				t.Fatalf("rollback click: %+v", out)
			}
			if len(rb.Hosts) != 3 || rb.MinApprovals != 1 || rb.Status != runbooks.RollbackAwaitingApproval {
				t.Fatalf("rollback %+v: want 3 hosts awaiting 1 approval", rb)
			}
			kinds := map[runbooks.Cloud]string{}
			for _, rh := range rb.Hosts {
				b := rh.Backup
				if b.ID == "" || b.Cycle != c.ID || b.TakenAt.IsZero() {
					t.Errorf("%s returns to %+v: want a backup ID, the cycle and when it was taken", rh.Host.Name, b)
				}
				kinds[rh.Host.Cloud] = b.Kind
			}
			if kinds[runbooks.AWS] != runbooks.BackupImage || kinds[runbooks.Azure] != runbooks.BackupDiskSnapshot || kinds[runbooks.GCP] != runbooks.BackupDiskSnapshot {
				t.Errorf("backup kinds by cloud %v", kinds)
			}
			h.ticks(ctx, 2) // nothing happens before the approval
			if sends := h.fleet.RestoreSends(); len(sends) != 0 {
				t.Fatalf("restored before any approval: %v", sends)
			}
			if _, err := h.decideRollback(ctx, rb.ID, runbooks.Approve, alice); err != nil {
				t.Fatal(err)
			}
			rb = h.runRollback(ctx, rb.ID)
			if rb.Status != runbooks.RollbackCompleted {
				t.Fatalf("rollback %s is %s (%+v), want completed", rb.ID, rb.Status, rb.Failure)
			}
			checkRestoredOnce(t, h.fleet, rb)
			for _, g := range rb.Gates {
				if !g.Passed || len(g.Sources) == 0 {
					t.Errorf("gate after the restore %+v: want passed with a source", g)
				}
			}
			if len(rb.Gates) != 3 {
				t.Errorf("gates after the restore %v: want agent, sensors, health", rb.Gates)
			}
			problems, _ := h.fleet.Problems(ctx, tn, "staging")
			if len(problems) != 0 {
				t.Errorf("staging still has problems after the rollback: %v", problems)
			}
			if app, _ := h.fleet.Host(hostName(tn, "staging", "app-01")); app.PendingPatches == 0 {
				t.Errorf("app-01 rolled back but shows no pending patches")
			}
			evs, err := h.engines[0].RollbackEvents(ctx, rb.ID)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(evs)) != rb.Revision {
				t.Errorf("%d audit events, revision %d", len(evs), rb.Revision)
			}
			count := map[string]int{}
			for _, ev := range evs {
				count[ev.Type]++
			}
			if count[runbooks.EvRestoreStarted] != 3 || count[runbooks.EvRestoreDone] != 3 || count[runbooks.EvRollbackCompleted] != 1 || count[runbooks.EvRestoreStep] < 7 {
				t.Errorf("audit events by type %v", count)
			}
			of, err := h.engines[0].RollbacksOf(ctx, c.ID)
			if err != nil || len(of) != 1 || len(of[0].PatchPending()) != 3 {
				t.Errorf("rollbacks of %s: %v, %v; want this one with 3 hosts patch pending", c.ID, of, err)
			}

			// The cycle now lists the hosts as rolled back, patch pending;
			// a retried verify leaves them out, and the cycle goes on to its
			// report, whose evidence carries the rollback.
			c = h.cycle(ctx, c.ID)
			st, _ := c.Stage("staging")
			if len(st.Exclusions) != 3 || !strings.Contains(st.Exclusions[0].Reason, "rolled back") || !strings.Contains(st.Exclusions[0].Reason, "patch pending") {
				t.Fatalf("staging exclusions after the rollback: %+v", st.Exclusions)
			}
			h.mustDecide(ctx, c.ID, "staging", runbooks.Retry, alice)
			c = h.finish(ctx, c.ID)
			in, err := h.engines[0].ReportInput(ctx, c.ID)
			if err != nil || len(in.Rollbacks) != 1 || in.Rollbacks[0].ID != rb.ID {
				t.Errorf("report input of %s: rollbacks %v, %v", c.ID, in.Rollbacks, err)
			}
		})
	}
}
