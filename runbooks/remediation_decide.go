package runbooks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// decideRemediation applies a person's decision to a remediation (see decideKind).
func (e *Engine) decideRemediation(ctx context.Context, d Decision) (Outcome, error) {
	return decideKind(ctx, e, d, kindDecisions[Remediation, *Remediation]{
		kindSteps: e.remediationSteps(), noun: "remediation", apply: e.applyRemediation,
		tenant:  func(r *Remediation) string { return r.Tenant },
		outcome: func(r *Remediation) Outcome { return Outcome{Remediation: r} },
	})
}

// applyRemediation checks d against policy and state and applies it to n.
func (e *Engine) applyRemediation(ctx context.Context, n *Remediation, d Decision, who Person) (string, error) {
	switch d.Action {
	case Approve, Dismiss, Retry:
	default:
		return "", Errorf(CodeInvalid, "a remediation takes approve, dismiss or retry, not %q", d.Action)
	}
	ok, err := e.isApprover(ctx, n.Env, d.Actor)
	if err != nil {
		return "", fmt.Errorf("check approvers: %w", errors.Join(Errorf(CodeUnavailable, "Could not check the approver list; nothing was changed. Try again."), err))
	}
	if !ok {
		return "", Errorf(CodeForbidden, "You are not an approver for %s, so you cannot %s this remediation.", n.Env, d.Action)
	}
	if err := checkRemediationState(n, d); err != nil {
		return "", err
	}
	if d.SeenRevision != 0 && d.SeenRevision != n.Revision {
		return "", Errorf(CodeStale, "This card was out of date (the remediation moved to revision %d). It has been refreshed; look again before deciding.", n.Revision)
	}
	now := e.now()
	switch d.Action {
	case Approve:
		n.Approvals = append(n.Approvals, Approval{By: d.Actor, At: now, Interaction: d.InteractionID, Revision: n.Revision, Person: &who})
		k := len(n.Approvals)
		n.emitBy(now, "", EvApproved, who, fmt.Sprintf("approved (%d/%d)", k, n.MinApprovals), nil)
		if k < n.MinApprovals {
			return fmt.Sprintf("Approved the remediation (%d/%d); another approver is needed.", k, n.MinApprovals), nil
		}
		n.Status, n.Approved = RemApproved, now
		n.emit(now, "", EvApprovalComplete, ActorSystem, fmt.Sprintf("%d approval(s) recorded; patching %d instance(s) when the change window and freezes allow", k, n.InstanceCount()), nil)
		return fmt.Sprintf("Approved (%d/%d); remediating %d instance(s).", k, n.MinApprovals, n.InstanceCount()), nil
	case Dismiss:
		n.Status, n.Ended, n.Dismissal = RemDismissed, now, d.Reason
		n.emitBy(now, "", EvRemediationDismissed, who, "dismissed: "+d.Reason, map[string]string{"reason": d.Reason})
		return "Dismissed; nothing will be patched.", nil
	case Retry:
		f := n.Failure
		n.Failure, n.Errors, n.LastError = nil, 0, ""
		n.Attempt++
		n.Status = RemediationStatus(f.Phase)
		switch n.Status {
		case RemGates:
			// Gates run again; a backup the provider finished is kept, one
			// that failed is sent again under the new attempt's tag.
			n.Gates = slices.DeleteFunc(n.Gates, func(g Gate) bool { return g.Name != "backup" || !g.Passed })
			if !n.hasGate("backup") {
				n.Backup = Op{}
			}
		case RemPatching:
			n.Patch = Op{}
		case RemEvaluating:
			n.EvalStarted, n.EvalChecked, n.EvalDeadline = time.Time{}, time.Time{}, time.Time{}
		}
		n.emitBy(now, "", EvRemediationRetry, who, "retry after: "+failureReason(f), nil)
		return "Retrying the remediation.", nil
	}
	return "", nil
}

func checkRemediationState(n *Remediation, d Decision) error {
	if n.Status.Terminal() {
		return Errorf(CodeConflict, "Remediation %s is already %s.", n.ID, n.Status)
	}
	switch d.Action {
	case Approve:
		if n.Status == RemCollecting {
			return Errorf(CodeConflict, "Remediation %s is still collecting events until %s; its card asks for approval then.", n.ID, n.WindowEnd.UTC().Format("15:04 UTC"))
		}
		if n.Status != RemAwaitingApproval {
			return Errorf(CodeConflict, "Remediation %s is not awaiting approval (it is %s).", n.ID, n.Status)
		}
		if n.ApprovedBy(d.Actor) {
			return Errorf(CodeSelfApproval, "You already approved remediation %s; %s needs %d different people.", n.ID, n.Env, n.MinApprovals)
		}
	case Dismiss:
		if strings.TrimSpace(d.Reason) == "" {
			return Errorf(CodeInvalid, "Dismissing remediation %s needs a reason.", n.ID)
		}
		switch n.Status {
		case RemCollecting, RemAwaitingApproval, RemApproved, RemFailed:
		default:
			return Errorf(CodeConflict, "Remediation %s can be dismissed only before it starts or after it failed (it is %s).", n.ID, n.Status)
		}
	case Retry:
		if n.Status != RemFailed || n.Failure == nil {
			return Errorf(CodeConflict, "Remediation %s has not failed (it is %s).", n.ID, n.Status)
		}
	}
	return nil
}
