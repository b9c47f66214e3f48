package runbooks

import (
	"fmt"
	"time"
)

// Rollback actions (Action.Stage indexes Rollback.Hosts, -1 for the whole
// rollback).
const (
	ActRestoreStart   ActionKind = "restore_start"
	ActRestorePoll    ActionKind = "restore_poll"
	ActRollbackVerify ActionKind = "rollback_verify"
	ActRestoresDone   ActionKind = "restores_done"
	ActMarkCycle      ActionKind = "mark_cycle"
	ActRollbackHalt   ActionKind = "rollback_halt"
)

// NextRollback is the rollback's whole decision: given the record and the
// clock, the one next step. Like Next it does no I/O, so a record left
// anywhere by a crash is reconciled from where it stands.
func NextRollback(r *Rollback, now time.Time) Action {
	inc := r.Incident
	switch {
	case r.Failure != nil && !inc.Triggered && !r.Status.Terminal():
		return Action{Kind: ActPage, Stage: -1}
	case inc.Triggered && !inc.Resolved && (r.Failure == nil || r.Status.Terminal()):
		return Action{Kind: ActResolve, Stage: -1}
	}
	a := rollbackWork(r, now)
	if (a.Kind == ActWait || a.Kind == ActNone) && r.pendingDelivery() {
		return Action{Kind: ActFlush, Stage: -1, Until: a.Until, Reason: a.Reason}
	}
	return a
}

func rollbackWork(r *Rollback, _ time.Time) Action {
	switch r.Status {
	case RollbackCompleted, RollbackRejected:
		if r.Status == RollbackCompleted && !r.Marked {
			return Action{Kind: ActMarkCycle, Stage: -1}
		}
		if r.pendingDelivery() {
			return Action{Kind: ActFlush, Stage: -1}
		}
		return Action{Kind: ActArchive, Stage: -1}
	case RollbackAwaitingApproval:
		return Action{Kind: ActWait, Stage: -1, Reason: fmt.Sprintf("awaiting approval %d/%d", len(r.Approvals), r.MinApprovals)}
	case RollbackFailed:
		reason := "failed"
		if r.Failure != nil {
			reason = "failed: " + r.Failure.Reason
		}
		return Action{Kind: ActWait, Stage: -1, Reason: reason}
	case RollbackHalted:
		return Action{Kind: ActWait, Stage: -1, Reason: "halted: " + haltReason(r.Halt)}
	case RollbackVerifying:
		return Action{Kind: ActRollbackVerify, Stage: -1}
	case RollbackRestoring:
	default:
		return Action{Kind: ActWait, Stage: -1, Reason: "unknown status " + string(r.Status)}
	}
	// Every restore is sent before any is polled, so hosts restore side by
	// side; a host with a manual procedure waits for a person. A halt
	// starts no restore; the running ones are polled to their end.
	unsent := 0
	for i, h := range r.Hosts {
		if !h.Restore.Sent() {
			if r.Halt == nil {
				return Action{Kind: ActRestoreStart, Stage: i}
			}
			unsent++
		}
	}
	manual := 0
	for i, h := range r.Hosts {
		switch {
		case !h.Restore.Sent(), h.Restore.Done:
		case len(h.Restore.Manual) > 0:
			manual++
		default:
			return Action{Kind: ActRestorePoll, Stage: i}
		}
	}
	if manual > 0 {
		return Action{Kind: ActWait, Stage: -1, Reason: fmt.Sprintf("%d host(s) wait for their manual procedure", manual)}
	}
	if unsent > 0 {
		return Action{Kind: ActRollbackHalt, Stage: -1}
	}
	return Action{Kind: ActRestoresDone, Stage: -1}
}

func haltReason(h *Halt) string {
	if h == nil {
		return "halted by hand"
	}
	return h.Reason
}
