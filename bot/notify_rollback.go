package bot

import (
	"context"
	"maps"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.RollbackChat = (*Notifier)(nil)

// rollbackStage is the one stage a rollback's message shows.
const rollbackStage = "rollback"

// RollbackChanged shows a rollback as every runbook is shown: one root
// message in the cycles channel, updated in place, its events in the
// thread. The rollback is handed to the cycle machinery as a one-stage
// view (rollbackView), so posting, de-duplication across replicas and rate
// limits are the cycle's own.
func (n *Notifier) RollbackChanged(ctx context.Context, rb *runbooks.Rollback, events []runbooks.Event) error {
	evs := make([]runbooks.Event, len(events))
	for i, ev := range events {
		ev.Data = maps.Clone(ev.Data)
		if ev.Stage != "" {
			if ev.Data == nil {
				ev.Data = map[string]string{}
			}
			ev.Data["host"] = hostName(rb, ev.Stage)
		}
		ev.Stage = rollbackStage
		evs[i] = ev
	}
	return n.CycleChanged(ctx, rollbackView(rb), evs)
}

func hostName(rb *runbooks.Rollback, id string) string {
	for _, h := range rb.Hosts {
		if h.Host.ID == id && h.Host.Name != "" {
			return h.Host.Name
		}
	}
	return id
}

// rollbackView is the rollback as a one-stage cycle for rendering. Its
// stage's Exclusions are the hosts whose manual procedure waits for a
// person (each gets a "Done" button), nothing else.
func rollbackView(rb *runbooks.Rollback) *runbooks.Cycle {
	s := runbooks.Stage{Name: rollbackStage, Kind: runbooks.KindEnvironment, Env: rb.Env,
		MinApprovals: rb.MinApprovals, FourEyes: rb.FourEyes, Production: rb.Production,
		Approvals: rb.Approvals, Gates: rb.Gates, Errors: rb.Errors, LastError: rb.LastError, Incident: rb.Incident}
	c := &runbooks.Cycle{ID: rb.ID, Tenant: rb.Tenant, Requester: rb.Requester, RequestedBy: rb.RequestedBy,
		Created: rb.Created, Status: runbooks.StatusRunning, Ended: rb.Ended, Revision: rb.Revision, Version: rb.Version,
		Scope: runbooks.Scope{Hosts: len(rb.Hosts), ByCloud: map[runbooks.Cloud]int{}}}
	for _, h := range rb.Hosts {
		c.Scope.ByCloud[h.Host.Cloud]++
		if len(h.Restore.Manual) > 0 && !h.Restore.Done {
			s.Exclusions = append(s.Exclusions, runbooks.Finding{HostID: h.Host.ID, HostName: h.Host.Name})
		}
	}
	switch rb.Status {
	case runbooks.RollbackAwaitingApproval:
		s.Phase = runbooks.PhaseApproval
	case runbooks.RollbackRestoring:
		s.Phase = "restoring hosts" // view-only phases read as sentences
	case runbooks.RollbackVerifying:
		s.Phase = "checking agent, sensor and health"
	case runbooks.RollbackFailed:
		s.Phase, c.Status = runbooks.PhaseFailed, runbooks.StatusHalted
		if f := rb.Failure; f != nil {
			s.Failure = &runbooks.Failure{Phase: f.Phase, At: f.At, Reason: f.Reason}
			c.Halt = &runbooks.Halt{By: runbooks.ActorSystem, At: f.At, Reason: f.Reason}
		}
	case runbooks.RollbackHalted:
		s.Phase, c.Status = "halted; no restore running", runbooks.StatusHalted
		if rb.Halt != nil {
			h := *rb.Halt
			c.Halt = &h
		}
	case runbooks.RollbackCompleted:
		s.Phase, s.Done, c.Status = runbooks.PhaseDone, rb.Ended, runbooks.StatusCompleted
	case runbooks.RollbackRejected:
		s.Phase, c.Status = runbooks.PhaseApproval, runbooks.StatusRejected
	}
	c.Stages = []runbooks.Stage{s}
	return c
}
