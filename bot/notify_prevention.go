package bot

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.PreventionChat = (*Notifier)(nil)

// preventionStage is the one stage a prevention rollout's message shows.
const preventionStage = "prevention"

// PreventionChanged shows a rollout as every runbook is shown: one root
// message, updated in place, its events in the thread, through the
// cycle's machinery as a one-stage view.
func (n *Notifier) PreventionChanged(ctx context.Context, p *runbooks.Prevention, events []runbooks.Event) error {
	evs := make([]runbooks.Event, len(events))
	for i, ev := range events {
		ev.Stage = preventionStage
		evs[i] = ev
	}
	return n.CycleChanged(ctx, preventionView(p), evs)
}

// preventionView is the rollout as a one-stage cycle for rendering.
func preventionView(p *runbooks.Prevention) *runbooks.Cycle {
	s := runbooks.Stage{Name: preventionStage, Kind: runbooks.KindEnvironment, Env: p.Tier,
		MinApprovals: p.MinApprovals, FourEyes: p.FourEyes, Production: p.Production,
		Approvals: p.Approvals, Errors: p.Errors, LastError: p.LastError}
	c := &runbooks.Cycle{ID: p.ID, Tenant: p.Tenant, Requester: p.Requester, RequestedBy: p.RequestedBy,
		Created: p.Created, Status: runbooks.StatusRunning, Ended: p.Ended, Revision: p.Revision, Version: p.Version}
	switch p.Status {
	case runbooks.PreventionAwaitingApproval:
		s.Phase = runbooks.PhaseApproval
	case runbooks.PreventionMonitoring:
		s.Phase = runbooks.Phase("monitoring until " + p.WindowEnds.UTC().Format("2006-01-02 15:04Z") + latestText(p))
	case runbooks.PreventionBlocked, runbooks.PreventionFailed:
		s.Phase, c.Status = runbooks.PhaseFailed, runbooks.StatusHalted
		reason := "required exclusions missing: " + joinComma(p.Missing)
		if p.Status == runbooks.PreventionFailed {
			reason = p.LastError
		}
		s.Failure = &runbooks.Failure{At: p.Created, Reason: reason}
		c.Halt = &runbooks.Halt{By: runbooks.ActorSystem, Reason: reason}
	case runbooks.PreventionPassed, runbooks.PreventionCompleted:
		s.Phase, s.Done, c.Status = runbooks.PhaseDone, p.Ended, runbooks.StatusCompleted
	case runbooks.PreventionGateFailed, runbooks.PreventionRolledBack:
		s.Phase, s.Done, c.Status = runbooks.Phase(string(p.Status)), p.Ended, runbooks.StatusCompleted
	case runbooks.PreventionRejected:
		s.Phase, c.Status = runbooks.PhaseApproval, runbooks.StatusRejected
	default:
		s.Phase = runbooks.Phase(string(p.Status))
	}
	c.Stages = []runbooks.Stage{s}
	return c
}

func latestText(p *runbooks.Prevention) string {
	if p.Latest == nil {
		return ""
	}
	return "; so far " + p.Latest.Counts.String()
}
