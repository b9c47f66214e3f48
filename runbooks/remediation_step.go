package runbooks

import (
	"context"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/state"
)

// remediationKind plugs remediations into the engine (see kinds.go).
type remediationKind struct{ e *Engine }

func (remediationKind) name() string        { return "remediation" }
func (remediationKind) owns(id string) bool { return IsRemediationID(id) }
func (k remediationKind) decide(ctx context.Context, d Decision) (Outcome, error) {
	return k.e.decideRemediation(ctx, d)
}

func (k remediationKind) due(ctx context.Context, now time.Time) ([]string, error) {
	rms, err := k.e.Remediations(ctx, false)
	if err != nil || len(rms) == 0 {
		return nil, err
	}
	fz, err := k.e.Freezes(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, r := range rms {
		if NextRemediation(r, now, fz).NeedsIO() {
			ids = append(ids, r.ID)
		}
	}
	return ids, nil
}

// step runs one action of a leased remediation (see stepKind).
func (k remediationKind) step(ctx context.Context, lease *state.Lease, id string) (bool, bool, error) {
	return stepKind(ctx, k.e, lease, id, k.e.remediationSteps())
}

func (e *Engine) actRemediation(ctx context.Context, n *Remediation, a Action) (bool, error) {
	now := e.now()
	switch a.Kind {
	case ActInventory, ActSensors, ActStartBackup, ActStartPatch, ActVerify, ActRemEvaluate, ActRemCompliance, ActRemTimeout:
		// These act on the instances; the rest read the record's summary
		// (a poll reads them once its operation is done).
		if err := e.loadInstances(ctx, n); err != nil {
			return false, err
		}
	}
	switch a.Kind {
	case ActRemSeal:
		n.Sealed = true
		return true, nil
	case ActRemGather:
		return e.gatherRemediation(ctx, n, now)
	case ActRemClose:
		return e.closeRemediationWindow(ctx, n, now)
	case ActRemSelfHealed:
		n.Status, n.Ended = RemResolved, now
		n.emit(now, "", EvRemediationResolved, ActorSystem, "Config reported every instance COMPLIANT before anything was patched; nothing patched",
			map[string]string{"patched": "false"})
		return true, nil
	case ActFreezeHold:
		n.Held = "freeze:" + a.Freeze.key()
		n.emit(now, "", EvFreezeHolding, ActorSystem, a.Reason, map[string]string{"until": a.Until.UTC().Format(time.RFC3339)})
		return true, nil
	case ActWindowHold:
		n.Held = windowHeld(Span{Start: a.Until})
		n.emit(now, "", EvWindowWait, ActorSystem, a.Reason, map[string]string{"until": a.Until.UTC().Format(time.RFC3339)})
		return true, nil
	case ActRemStart:
		n.Status, n.Held = RemGates, ""
		n.emit(now, "", EvStageOpened, ActorSystem, fmt.Sprintf("running the gates on %d instance(s)", n.InstanceCount()), nil)
		return true, nil
	case ActInventory:
		return e.remediationInventory(ctx, n)
	case ActSensors:
		return e.remediationSensors(ctx, n)
	case ActStartBackup:
		return e.startRemediationOp(ctx, n, backupOp)
	case ActPollBackup:
		return e.pollRemediationOp(ctx, n, backupOp)
	case ActStartPatch:
		return e.startRemediationOp(ctx, n, patchOp)
	case ActPollPatch:
		return e.pollRemediationOp(ctx, n, patchOp)
	case ActVerify:
		return e.remediationVerify(ctx, n)
	case ActRemEvaluate:
		return e.startEvaluation(ctx, n)
	case ActRemCompliance:
		return e.readCompliance(ctx, n)
	case ActRemTimeout:
		return e.complianceTimedOut(n), nil
	case ActPage, ActResolve:
		return e.remediationIncident(ctx, n, a, now)
	}
	return false, fmt.Errorf("remediation %s: no executor for action %s", n.ID, a)
}

// closeRemediationWindow ends the debounce window: the card asks the
// approvers, or a tier that auto-remediates approves it, audited as such.
func (e *Engine) closeRemediationWindow(ctx context.Context, n *Remediation, now time.Time) (bool, error) {
	st := e.deps.Store
	key := remediationCollectingKey(n.Tenant, n.Env)
	if ptr, err := st.Get(ctx, key); err == nil && string(ptr.Value) == n.ID {
		_ = st.Delete(ctx, key, ptr.Version) // a stale pointer is also replaced by the next intake
	}
	data := map[string]string{"instances": fmt.Sprint(n.InstanceCount()), "rules": fmt.Sprint(n.Rules()),
		"min_approvals": fmt.Sprint(n.MinApprovals), "four_eyes": fmt.Sprint(n.FourEyes),
		"non_compliant_since": n.Since().UTC().Format(time.RFC3339)}
	n.Status = RemAwaitingApproval
	n.emit(now, "", EvRemediationCard, ActorSystem, fmt.Sprintf("%d non-compliant instance(s) in %s %s await approval (%d needed)",
		n.InstanceCount(), n.Tenant, n.Env, n.MinApprovals), data)
	if n.AutoRemediate && !n.Production {
		n.Status, n.Approved = RemApproved, now
		n.emit(now, "", EvRemediationAuto, ActorSystem, fmt.Sprintf("auto-approved: tier %s declares auto_remediate", n.Env),
			map[string]string{"policy": "auto_remediate", "env": n.Env})
	}
	return true, nil
}

// remediationError counts a failed provider call; MaxErrors in a row (or
// a blocked verdict) fail the remediation, which pages.
func (e *Engine) remediationError(n *Remediation, a Action, err error) bool {
	if a.Kind == ActPage || a.Kind == ActResolve {
		n.Incident.LastError = err.Error()
		e.log.Warn("pager call failed", "remediation", n.ID, "err", err)
		return false
	}
	if ErrorCode(err) == CodePending {
		return false
	}
	n.Errors++
	n.LastError = err.Error()
	e.log.Warn("provider call failed", "remediation", n.ID, "action", string(a.Kind), "attempt", n.Errors, "err", err)
	if n.Errors < e.cfg.MaxErrors && ErrorCode(err) != CodeBlocked {
		return false
	}
	n.fail(e.now(), fmt.Sprintf("%s failed %d times: %v", a.Kind, n.Errors, err), nil, rawError(err))
	return true
}

// fail stops the remediation where it stands; a person retries or dismisses.
func (r *Remediation) fail(now time.Time, reason string, findings []Finding, extra map[string]string) {
	phase := Phase(r.Status)
	r.Failure = &Failure{Phase: phase, At: now, Reason: reason, Findings: findings}
	r.Status = RemFailed
	r.Incident = Incident{Key: "patchgate/" + r.ID}
	data := map[string]string{"phase": string(phase), "hosts": hostList(findings, 20)}
	for k, v := range extra {
		data[k] = v
	}
	r.emit(now, "", EvRemediationFailed, ActorSystem, reason, data)
}

// remediationIncident pages a failed remediation and resolves the page
// once it goes on or is dismissed, idempotent per dedup key.
func (e *Engine) remediationIncident(ctx context.Context, n *Remediation, a Action, now time.Time) (bool, error) {
	page := Page{Summary: fmt.Sprintf("patchgate: remediation %s of %s %s failed: %s", n.ID, n.Tenant, n.Env, failureReason(n.Failure)),
		Details: map[string]string{"remediation": n.ID, "tenant": n.Tenant, "env": n.Env, "hosts": failureHosts(n.Failure)}}
	return e.runbookIncident(ctx, n.ID, &n.Incident, n.Production, a, now, page, "remediation went on",
		func(now time.Time, typ, detail string, data map[string]string) {
			n.emit(now, "", typ, ActorSystem, detail, data)
		})
}

// remediationSteps is what the remediation kind brings to stepKind.
func (e *Engine) remediationSteps() kindSteps[Remediation, *Remediation] {
	return kindSteps[Remediation, *Remediation]{
		store: e.remediations(),
		next: func(ctx context.Context, r *Remediation) (Action, error) {
			fz, err := e.Freezes(ctx)
			return NextRemediation(r, e.now(), fz), err
		},
		clone: (*Remediation).Clone, act: e.actRemediation, failed: e.remediationError,
		changed: func(a, b *Remediation) bool {
			return a.Errors != b.Errors || !a.EvalChecked.Equal(b.EvalChecked) || a.Backup != b.Backup || a.Patch != b.Patch
		},
		deliver: e.deliverRemediation, archive: e.archiveRemediation, holds: true,
	}
}
