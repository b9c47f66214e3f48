package runbooks

import (
	"fmt"
	"time"
)

// Sensor deployment actions (Action.Stage indexes SensorDeploy.Batches, -1
// for the whole deployment).
const (
	ActInstallStart   ActionKind = "install_start"
	ActInstallPoll    ActionKind = "install_poll"
	ActInstallsDone   ActionKind = "installs_done"
	ActDeployValidate ActionKind = "deploy_validate"
)

// NextSensorDeploy is the deployment's whole decision: given the record
// and the clock, the one next step. It does no I/O, so a record left
// anywhere by a crash is reconciled from where it stands.
func NextSensorDeploy(d *SensorDeploy, now time.Time) Action {
	if a, ok := incidentNext(d.Incident, d.Failure != nil, d.Status.Terminal()); ok {
		return a
	}
	a := deployWork(d, now)
	if (a.Kind == ActWait || a.Kind == ActNone) && d.pendingDelivery() {
		return Action{Kind: ActFlush, Stage: -1, Until: a.Until, Reason: a.Reason}
	}
	return a
}

func deployWork(d *SensorDeploy, now time.Time) Action {
	switch d.Status {
	case DeployCompleted, DeployRejected:
		if d.pendingDelivery() {
			return Action{Kind: ActFlush, Stage: -1}
		}
		return Action{Kind: ActArchive, Stage: -1}
	case DeployAwaitingApproval:
		return Action{Kind: ActWait, Stage: -1, Reason: fmt.Sprintf("awaiting approval %d/%d", len(d.Approvals), d.MinApprovals)}
	case DeployFailed:
		reason := "failed"
		if d.Failure != nil {
			reason = "failed: " + d.Failure.Reason
		}
		return Action{Kind: ActWait, Stage: -1, Reason: reason}
	case DeployValidating:
		if now.Before(d.ValidateAfter) {
			return Action{Kind: ActWait, Stage: -1, Until: d.ValidateAfter,
				Reason: fmt.Sprintf("waiting for %d sensor(s) to register", len(d.Validation))}
		}
		return Action{Kind: ActDeployValidate, Stage: -1}
	case DeployInstalling:
	default:
		return Action{Kind: ActWait, Stage: -1, Reason: "unknown status " + string(d.Status)}
	}
	// Up to Concurrency batches run at once: a free slot sends the next
	// batch; otherwise the oldest running batch is polled.
	running := d.Running()
	for i, b := range d.Batches {
		if !b.Sent() && running < max(d.Concurrency, 1) {
			return Action{Kind: ActInstallStart, Stage: i}
		}
	}
	for i, b := range d.Batches {
		if b.Sent() && !b.Done {
			return Action{Kind: ActInstallPoll, Stage: i}
		}
	}
	return Action{Kind: ActInstallsDone, Stage: -1}
}
