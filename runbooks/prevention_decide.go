package runbooks

import (
	"context"
	"errors"
	"fmt"
)

// decidePrevention applies a person's decision to a rollout (see decideKind).
func (e *Engine) decidePrevention(ctx context.Context, d Decision) (Outcome, error) {
	return decideKind(ctx, e, d, kindDecisions[Prevention, *Prevention]{
		kindSteps: e.preventionSteps(), noun: "rollout", apply: e.applyPrevention,
		tenant:  func(r *Prevention) string { return r.Tenant },
		outcome: func(r *Prevention) Outcome { return Outcome{Prevention: r} },
	})
}

// applyPrevention checks d against policy and state and applies it to n.
func (e *Engine) applyPrevention(ctx context.Context, n *Prevention, d Decision, who Person) (string, error) {
	switch d.Action {
	case Approve, Reject, Retry:
	default:
		return "", Errorf(CodeInvalid, "a prevention rollout takes approve, reject or retry, not %q", d.Action)
	}
	ok, err := e.isApprover(ctx, n.Tier, d.Actor)
	if err != nil {
		return "", fmt.Errorf("check approvers: %w", errors.Join(Errorf(CodeUnavailable, "Could not check the approver list; nothing was changed. Try again."), err))
	}
	if !ok {
		return "", Errorf(CodeForbidden, "You are not an approver for %s, so you cannot %s this rollout.", n.Tier, d.Action)
	}
	if d.Action == Approve && n.FourEyes && d.Actor == n.Requester {
		return "", Errorf(CodeSelfApproval, "You requested this rollout, and %s needs someone else's approval (four eyes).", n.Tier)
	}
	if err := checkPreventionState(n, d); err != nil {
		return "", err
	}
	if d.SeenRevision != 0 && d.SeenRevision != n.Revision {
		return "", Errorf(CodeStale, "This message was out of date (the rollout moved to revision %d). It has been refreshed; look again before deciding.", n.Revision)
	}
	now := e.now()
	switch d.Action {
	case Approve:
		n.Approvals = append(n.Approvals, Approval{By: d.Actor, At: now, Interaction: d.InteractionID, Revision: n.Revision, Person: &who})
		k := len(n.Approvals)
		n.noteBy(now, EvApproved, who, fmt.Sprintf("approved (%d/%d)", k, n.MinApprovals), nil)
		if k < n.MinApprovals {
			return fmt.Sprintf("Approved the rollout (%d/%d); one more approver needed.", k, n.MinApprovals), nil
		}
		n.Status = n.firstStep()
		n.note(now, EvApprovalComplete, fmt.Sprintf("%d approval(s) recorded; %s", k, n.Status), nil)
		return fmt.Sprintf("Approved (%d/%d); the %s rollout of %s starts now.", k, n.MinApprovals, n.Mode, n.Tier), nil
	case Reject:
		n.Status, n.Ended = PreventionRejected, now
		n.noteBy(now, EvPreventionRejected, who, orDefault(d.Reason, "rejected"), nil)
		return "Rejected; the rollout is closed.", nil
	case Retry:
		from := n.LastError
		if n.Status == PreventionBlocked {
			from = "missing exclusions: " + joinNames(n.Missing)
			n.Status = PreventionChecking
		} else {
			n.Status = n.FailedIn
		}
		n.Errors, n.LastError, n.FailedIn = 0, "", ""
		n.noteBy(now, EvPreventionRetry, who, "retry after "+from, nil)
		return "Retrying the rollout.", nil
	}
	return "", nil
}

// firstStep is where an approved rollout starts: a move to prevention
// checks the exclusions first, a move back to detection assigns at once.
func (p *Prevention) firstStep() PreventionStatus {
	if p.Mode == ModeDetection {
		return PreventionAssigning
	}
	return PreventionChecking
}

func checkPreventionState(n *Prevention, d Decision) error {
	if n.Status.Terminal() {
		return Errorf(CodeConflict, "Rollout %s is already %s.", n.ID, n.Status)
	}
	switch d.Action {
	case Approve:
		if n.Status != PreventionAwaitingApproval {
			return Errorf(CodeConflict, "Rollout %s is not awaiting approval (it is %s).", n.ID, n.Status)
		}
		if n.ApprovedBy(d.Actor) {
			return Errorf(CodeConflict, "You already approved rollout %s.", n.ID)
		}
	case Reject:
		if n.Status != PreventionAwaitingApproval && n.Status != PreventionBlocked && n.Status != PreventionFailed {
			return Errorf(CodeConflict, "Rollout %s can be rejected only before it starts, or while blocked or failed (it is %s).", n.ID, n.Status)
		}
	case Retry:
		if n.Status != PreventionBlocked && n.Status != PreventionFailed {
			return Errorf(CodeConflict, "Rollout %s is neither blocked nor failed (it is %s).", n.ID, n.Status)
		}
	}
	return nil
}
