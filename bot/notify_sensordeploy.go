package bot

import (
	"context"
	"maps"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.SensorDeployChat = (*Notifier)(nil)

// deployStage is the one stage a sensor deployment's message shows.
const deployStage = "sensors"

// SensorDeployChanged shows a sensor deployment as every runbook is shown:
// one root message in the cycles channel, updated in place, its events in
// the thread, through the cycle machinery (as RollbackChanged does).
func (n *Notifier) SensorDeployChanged(ctx context.Context, d *runbooks.SensorDeploy, events []runbooks.Event) error {
	evs := make([]runbooks.Event, len(events))
	for i, ev := range events {
		ev.Data = maps.Clone(ev.Data)
		ev.Stage = deployStage
		evs[i] = ev
	}
	return n.CycleChanged(ctx, deployView(d), evs)
}

// deployView is the deployment as a one-stage cycle for rendering; its
// failure's findings are the hosts at fault, each with the fix.
func deployView(d *runbooks.SensorDeploy) *runbooks.Cycle {
	s := runbooks.Stage{Name: deployStage, Kind: runbooks.KindEnvironment, Env: d.Env,
		MinApprovals: d.MinApprovals, FourEyes: d.FourEyes, Production: d.Production,
		Approvals: d.Approvals, Errors: d.Errors, LastError: d.LastError}
	c := &runbooks.Cycle{ID: d.ID, Tenant: d.Tenant, Requester: d.Requester, RequestedBy: d.RequestedBy,
		Created: d.Created, Status: runbooks.StatusRunning, Ended: d.Ended, Revision: d.Revision, Version: d.Version,
		Scope: runbooks.Scope{Hosts: len(d.Hosts), ByCloud: map[runbooks.Cloud]int{}}}
	for _, h := range d.Hosts {
		c.Scope.ByCloud[h.Host.Cloud]++
	}
	switch d.Status {
	case runbooks.DeployAwaitingApproval:
		s.Phase = runbooks.PhaseApproval
	case runbooks.DeployInstalling:
		s.Phase = "installing the sensor" // view-only phases read as sentences
	case runbooks.DeployValidating:
		s.Phase = "validating registration and policies"
	case runbooks.DeployFailed:
		s.Phase, c.Status = runbooks.PhaseFailed, runbooks.StatusHalted
		if f := d.Failure; f != nil {
			s.Failure = &runbooks.Failure{Phase: f.Phase, At: f.At, Reason: f.Reason, Findings: f.Findings}
			c.Halt = &runbooks.Halt{By: runbooks.ActorSystem, At: f.At, Reason: f.Reason}
		}
	case runbooks.DeployCompleted:
		s.Phase, s.Done, c.Status = runbooks.PhaseDone, d.Ended, runbooks.StatusCompleted
	case runbooks.DeployRejected:
		s.Phase, c.Status = runbooks.PhaseApproval, runbooks.StatusRejected
	}
	c.Stages = []runbooks.Stage{s}
	return c
}
