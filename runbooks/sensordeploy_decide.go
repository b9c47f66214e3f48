package runbooks

import (
	"context"
	"fmt"
	"time"
)

// GetSensorDeploy returns a sensor deployment, open or finished.
func (e *Engine) GetSensorDeploy(ctx context.Context, id string) (*SensorDeploy, error) {
	return e.sensorDeploys().get(ctx, id)
}

// SensorDeploys lists open deployments, and finished ones with finished set.
func (e *Engine) SensorDeploys(ctx context.Context, finished bool) ([]*SensorDeploy, error) {
	return e.sensorDeploys().list(ctx, finished)
}

// SensorDeployEvents reads a deployment's audit trail.
func (e *Engine) SensorDeployEvents(ctx context.Context, id string) ([]Event, error) {
	return e.sensorDeploys().events(ctx, id)
}

// decideSensorDeploy applies a person's decision to a deployment (see decideKind).
func (e *Engine) decideSensorDeploy(ctx context.Context, d Decision) (Outcome, error) {
	return decideKind(ctx, e, d, kindDecisions[SensorDeploy, *SensorDeploy]{
		kindSteps: e.sensorDeploySteps(), noun: "deployment", apply: e.applySensorDeploy,
		tenant:  func(r *SensorDeploy) string { return r.Tenant },
		outcome: func(r *SensorDeploy) Outcome { return Outcome{SensorDeploy: r} },
	})
}

// applySensorDeploy checks dec against policy and state and applies it.
func (e *Engine) applySensorDeploy(ctx context.Context, n *SensorDeploy, dec Decision, who Person) (string, error) {
	switch dec.Action {
	case Approve, Reject, Retry:
	default:
		return "", Errorf(CodeInvalid, "a sensor deployment takes approve, reject or retry, not %q", dec.Action)
	}
	ok, err := e.isApprover(ctx, n.Env, dec.Actor)
	if err != nil {
		return "", fmt.Errorf("check approvers: %w", joinUnavailable(err))
	}
	if !ok {
		return "", Errorf(CodeForbidden, "You are not an approver for %s, so you cannot %s this sensor deployment.", n.Env, dec.Action)
	}
	if dec.Action == Approve && n.FourEyes && dec.Actor == n.Requester {
		return "", Errorf(CodeSelfApproval, "You requested this sensor deployment, and %s needs someone else's approval (four eyes).", n.Env)
	}
	if err := checkDeployState(n, dec); err != nil {
		return "", err
	}
	if dec.SeenRevision != 0 && dec.SeenRevision != n.Revision {
		return "", Errorf(CodeStale, "This message was out of date (the deployment moved to revision %d). It has been refreshed; look again before deciding.", n.Revision)
	}
	now := e.now()
	switch dec.Action {
	case Approve:
		n.Approvals = append(n.Approvals, Approval{By: dec.Actor, At: now, Interaction: dec.InteractionID, Revision: n.Revision, Person: &who})
		k := len(n.Approvals)
		n.noteBy(now, EvApproved, who, fmt.Sprintf("approved (%d/%d)", k, n.MinApprovals), nil)
		if k < n.MinApprovals {
			return fmt.Sprintf("Approved the sensor deployment (%d/%d); one more approver needed.", k, n.MinApprovals), nil
		}
		n.Status = DeployInstalling
		n.note(now, "", EvApprovalComplete, ActorSystem, fmt.Sprintf("%d approval(s) recorded; installing on %d host(s) in %d batch(es)", k, len(n.Hosts), len(n.Batches)), nil)
		return fmt.Sprintf("Approved (%d/%d); installing the sensor on %d host(s) now.", k, n.MinApprovals, len(n.Hosts)), nil
	case Reject:
		n.Status, n.Ended = DeployRejected, now
		n.noteBy(now, EvDeployRejected, who, orDefault(dec.Reason, "rejected"), nil)
		return "Rejected; the sensor deployment is closed.", nil
	case Retry:
		f := n.Failure
		n.Failure, n.Errors, n.LastError = nil, 0, ""
		n.Attempt++
		n.retry(f, e.now())
		n.noteBy(now, EvDeployRetry, who, "retry after: "+failureReason(f), nil)
		return "Retrying the sensor deployment.", nil
	}
	return "", nil
}

// retry re-enters the phase that failed: a batch the installer failed on
// is sent again (under a new tag) to its failed hosts only; a batch still
// running is polled, never re-sent; a failed validation validates again.
func (d *SensorDeploy) retry(f *Failure, now time.Time) {
	if f != nil && f.Phase == Phase(DeployValidating) {
		d.Status, d.ValidateAfter = DeployValidating, now
		d.ValidateBy = now.Add(d.ValidateBy.Sub(d.Installed))
		return
	}
	d.Status = DeployInstalling
	for i := range d.Batches {
		b := &d.Batches[i]
		if !b.Done || b.Failed == 0 {
			continue
		}
		var again []string
		for _, id := range b.Hosts {
			if h := d.host(id); h.Result != "ok" {
				h.Result, h.Detail = "", ""
				again = append(again, id)
			}
		}
		*b = DeployBatch{Cloud: b.Cloud, Hosts: again}
	}
}

func checkDeployState(n *SensorDeploy, dec Decision) error {
	if n.Status.Terminal() {
		return Errorf(CodeConflict, "Sensor deployment %s is already %s.", n.ID, n.Status)
	}
	switch dec.Action {
	case Approve:
		if n.Status != DeployAwaitingApproval {
			return Errorf(CodeConflict, "Sensor deployment %s is not awaiting approval (it is %s).", n.ID, n.Status)
		}
		if n.ApprovedBy(dec.Actor) {
			return Errorf(CodeConflict, "You already approved sensor deployment %s.", n.ID)
		}
	case Reject:
		if n.Status != DeployAwaitingApproval && n.Status != DeployFailed {
			return Errorf(CodeConflict, "Sensor deployment %s can be rejected only before it starts or after it failed (it is %s).", n.ID, n.Status)
		}
	case Retry:
		if n.Status != DeployFailed {
			return Errorf(CodeConflict, "Sensor deployment %s has not failed (it is %s).", n.ID, n.Status)
		}
	}
	return nil
}
