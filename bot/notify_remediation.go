package bot

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.RemediationChat = (*Notifier)(nil)

// remediationStage is the one stage a remediation's card shows.
const remediationStage = "remediation"

// RemediationChanged shows a remediation as every runbook is shown: one
// card in the cycles channel, updated in place, its events in the thread,
// through the cycle's machinery as a one-stage view. The card's instance
// and policy lines need more than that view carries, so the newest
// remediation is kept for rendering (rootView.Remediation).
func (n *Notifier) RemediationChanged(ctx context.Context, r *runbooks.Remediation, events []runbooks.Event) error {
	if r == nil {
		return nil
	}
	n.keepRemediation(r)
	evs := make([]runbooks.Event, len(events))
	for i, ev := range events {
		if ev.Stage != "" {
			ev.Data = cloneData(ev.Data)
			ev.Data["host"] = ev.Stage
		}
		ev.Stage = remediationStage
		evs[i] = ev
	}
	return n.CycleChanged(ctx, remediationView(r), evs)
}

// keepRemediation remembers r unless a newer version is already kept.
func (n *Notifier) keepRemediation(r *runbooks.Remediation) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.remeds == nil {
		n.remeds = map[string]*runbooks.Remediation{}
	}
	if old := n.remeds[r.ID]; old == nil || r.Version >= old.Version {
		n.remeds[r.ID] = r.Clone()
	}
}

// remediation returns the kept remediation id, or nil.
func (n *Notifier) remediation(id string) *runbooks.Remediation {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.remeds[id]
}

func cloneData(d map[string]string) map[string]string {
	out := make(map[string]string, len(d)+1)
	for k, v := range d {
		out[k] = v
	}
	return out
}

// remediationView is the remediation as a one-stage cycle for rendering.
func remediationView(r *runbooks.Remediation) *runbooks.Cycle {
	s := runbooks.Stage{Name: remediationStage, Kind: runbooks.KindEnvironment, Env: r.Env,
		MinApprovals: r.MinApprovals, FourEyes: r.FourEyes, Production: r.Production,
		Approvals: r.Approvals, Gates: r.Gates, Errors: r.Errors, LastError: r.LastError, Incident: r.Incident}
	c := &runbooks.Cycle{ID: r.ID, Tenant: r.Tenant, Requester: runbooks.ActorSystem,
		Created: r.Created, Status: runbooks.StatusRunning, Ended: r.Ended, Revision: r.Revision, Version: r.Version,
		Scope: runbooks.Scope{Hosts: r.InstanceCount(), ByCloud: r.ByCloud()}}
	switch r.Status {
	case runbooks.RemCollecting:
		s.Phase = runbooks.Phase("collecting events until " + r.WindowEnd.UTC().Format("15:04Z"))
	case runbooks.RemAwaitingApproval:
		s.Phase = runbooks.PhaseApproval
	case runbooks.RemApproved:
		s.Phase = "approved; waiting for the change window or a freeze to end"
	case runbooks.RemGates:
		s.Phase = "gates: inventory, sensors, backup"
	case runbooks.RemPatching:
		s.Phase = "patching (AWS-RunPatchBaseline Install)"
	case runbooks.RemVerifying:
		s.Phase = "verifying the patched instances"
	case runbooks.RemEvaluating:
		s.Phase = "waiting for AWS Config to report COMPLIANT"
	case runbooks.RemFailed:
		s.Phase, c.Status = runbooks.PhaseFailed, runbooks.StatusHalted
		if f := r.Failure; f != nil {
			s.Failure = &runbooks.Failure{Phase: f.Phase, At: f.At, Reason: f.Reason}
			c.Halt = &runbooks.Halt{By: runbooks.ActorSystem, At: f.At, Reason: f.Reason}
		}
	case runbooks.RemResolved:
		s.Phase, s.Done, c.Status = runbooks.PhaseDone, r.Ended, runbooks.StatusCompleted
	case runbooks.RemNotCompliant, runbooks.RemUnverified:
		s.Phase, s.Done, c.Status = runbooks.Phase(string(r.Status)), r.Ended, runbooks.StatusCompleted
	case runbooks.RemDismissed:
		s.Phase, c.Status = runbooks.PhaseApproval, runbooks.StatusRejected
	default:
		s.Phase = runbooks.Phase(string(r.Status))
	}
	c.Stages = []runbooks.Stage{s}
	return c
}
