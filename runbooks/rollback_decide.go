package runbooks

import (
	"context"
	"errors"
	"fmt"
)

// decideRollback applies a person's decision to a rollback (see decideKind).
func (e *Engine) decideRollback(ctx context.Context, d Decision) (Outcome, error) {
	return decideKind(ctx, e, d, kindDecisions[Rollback, *Rollback]{
		kindSteps: e.rollbackSteps(), noun: "rollback", apply: e.applyRollback,
		tenant:  func(r *Rollback) string { return r.Tenant },
		outcome: func(r *Rollback) Outcome { return Outcome{Rollback: r} },
	})
}

// applyRollback checks d against policy and state and applies it to n.
func (e *Engine) applyRollback(ctx context.Context, n *Rollback, d Decision, who Person) (string, error) {
	switch d.Action {
	case Approve, Reject, Retry, ConfirmManual, HaltCycle, Resume:
	default:
		return "", Errorf(CodeInvalid, "a rollback takes approve, reject, retry, halt, resume or %s, not %q", ConfirmManual, d.Action)
	}
	ok, err := e.isApprover(ctx, n.Env, d.Actor)
	if err != nil {
		return "", fmt.Errorf("check approvers: %w", errors.Join(Errorf(CodeUnavailable, "Could not check the approver list; nothing was changed. Try again."), err))
	}
	if !ok {
		return "", Errorf(CodeForbidden, "You are not an approver for %s, so you cannot %s this rollback.", n.Env, d.Action)
	}
	if d.Action == Approve && n.FourEyes && d.Actor == n.Requester {
		return "", Errorf(CodeSelfApproval, "You requested this rollback, and %s needs someone else's approval (four eyes).", n.Env)
	}
	if err := checkRollbackState(n, d); err != nil {
		return "", err
	}
	// Halting is always safe, so a halt from an old message still works.
	if d.SeenRevision != 0 && d.SeenRevision != n.Revision && d.Action != HaltCycle {
		return "", Errorf(CodeStale, "This message was out of date (the rollback moved to revision %d). It has been refreshed; look again before deciding.", n.Revision)
	}
	now := e.now()
	switch d.Action {
	case Approve:
		n.Approvals = append(n.Approvals, Approval{By: d.Actor, At: now, Interaction: d.InteractionID, Revision: n.Revision, Person: &who})
		k := len(n.Approvals)
		n.emitBy(now, "", EvApproved, who, fmt.Sprintf("approved (%d/%d)", k, n.MinApprovals), nil)
		if k < n.MinApprovals {
			return fmt.Sprintf("Approved the rollback (%d/%d); one more approver needed.", k, n.MinApprovals), nil
		}
		n.Status = RollbackRestoring
		n.emit(now, "", EvApprovalComplete, ActorSystem, fmt.Sprintf("%d approval(s) recorded; restoring %d host(s)", k, len(n.Hosts)), nil)
		return fmt.Sprintf("Approved (%d/%d); restoring %d host(s) now.", k, n.MinApprovals, len(n.Hosts)), nil
	case Reject:
		n.Status, n.Ended = RollbackRejected, now
		n.emitBy(now, "", EvRollbackRejected, who, d.Reason, nil)
		return "Rejected; the rollback is closed.", nil
	case Retry:
		f := n.Failure
		n.Failure, n.Errors, n.LastError = nil, 0, ""
		n.Attempt++
		n.Status = RollbackRestoring
		if f != nil && f.Phase == Phase(RollbackVerifying) {
			n.Status = RollbackVerifying
		}
		for i := range n.Hosts {
			if op := &n.Hosts[i].Restore; op.Failed != "" {
				// A restore the provider gave up on is sent again under a
				// new tag; one still running is polled, never re-sent.
				*op = RestoreOp{}
			}
		}
		n.emitBy(now, "", EvRollbackRetry, who, "retry after: "+failureReason(f), nil)
		return "Retrying the rollback.", nil
	case HaltCycle:
		return haltRollback(n, who, d.Reason, now), nil
	case Resume:
		return resumeRollback(n, who, now), nil
	case ConfirmManual:
		h, _ := n.host(d.Stage)
		h.Restore.Done, h.Restore.At, h.Restore.ConfirmedBy = true, now, &who
		n.emitBy(now, h.Host.ID, EvRestoreConfirmed, who, "manual procedure confirmed done", map[string]string{"backup": h.Backup.ID})
		return fmt.Sprintf("Recorded: %s restored by hand.", hostLabel(h.Host)), nil
	}
	return "", nil
}

func checkRollbackState(n *Rollback, d Decision) error {
	if n.Status.Terminal() {
		return Errorf(CodeConflict, "Rollback %s is already %s.", n.ID, n.Status)
	}
	switch d.Action {
	case Approve:
		if n.Status != RollbackAwaitingApproval {
			return Errorf(CodeConflict, "Rollback %s is not awaiting approval (it is %s).", n.ID, n.Status)
		}
		if n.ApprovedBy(d.Actor) {
			return Errorf(CodeConflict, "You already approved rollback %s.", n.ID)
		}
	case Reject:
		if n.Status != RollbackAwaitingApproval && n.Status != RollbackFailed && n.Status != RollbackHalted {
			return Errorf(CodeConflict, "Rollback %s can be rejected only before it starts, after it failed or while halted (it is %s).", n.ID, n.Status)
		}
	case HaltCycle:
		if n.Halt != nil {
			return Errorf(CodeConflict, "Rollback %s is already halted (%s).", n.ID, n.Halt.Reason)
		}
		if n.Status != RollbackAwaitingApproval && n.Status != RollbackRestoring {
			return Errorf(CodeConflict, "Rollback %s has no restore left to halt (it is %s).", n.ID, n.Status)
		}
		if n.Status == RollbackRestoring && unsentHosts(n) == 0 {
			return Errorf(CodeConflict, "Every host of rollback %s is already being restored; those restores finish and are verified, so there is nothing left to halt.", n.ID)
		}
	case Resume:
		if n.Halt == nil {
			return Errorf(CodeConflict, "Rollback %s is not halted.", n.ID)
		}
	case Retry:
		if n.Status != RollbackFailed {
			return Errorf(CodeConflict, "Rollback %s has not failed (it is %s).", n.ID, n.Status)
		}
	case ConfirmManual:
		h, _ := n.host(d.Stage)
		if h == nil {
			return Errorf(CodeNotFound, "Rollback %s has no host %q.", n.ID, d.Stage)
		}
		if len(h.Restore.Manual) == 0 || h.Restore.Done {
			return Errorf(CodeConflict, "%s has no manual procedure waiting.", hostLabel(h.Host))
		}
	}
	return nil
}

func failureReason(f *Failure) string {
	if f == nil {
		return "failure"
	}
	return f.Reason
}
