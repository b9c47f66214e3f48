package runbooks

import (
	"fmt"
	"slices"
	"time"
)

// Remediation actions beside the cycle's (ActInventory, ActSensors,
// ActStartBackup, ActPollBackup, ActStartPatch, ActPollPatch, ActVerify,
// ActFreezeHold, ActWindowHold mean the same here).
const (
	ActRemClose      ActionKind = "remediation_close"      // the debounce window ended: post the card
	ActRemStart      ActionKind = "remediation_start"      // approved and allowed: run the gates
	ActRemEvaluate   ActionKind = "remediation_evaluate"   // ask Config to re-evaluate
	ActRemCompliance ActionKind = "remediation_compliance" // read what Config says now
	ActRemTimeout    ActionKind = "remediation_timeout"    // Config did not say COMPLIANT in time
	ActRemSelfHealed ActionKind = "remediation_self_healed"
)

// NextRemediation is the remediation's whole decision: given the record,
// the clock and the freezes in force, the one next step. It does no I/O.
func NextRemediation(r *Remediation, now time.Time, fz []Freeze) Action {
	inc := r.Incident
	switch {
	case r.Failure != nil && !inc.Triggered && !r.Status.Terminal():
		return Action{Kind: ActPage, Stage: -1}
	case inc.Triggered && !inc.Resolved && (r.Failure == nil || r.Status.Terminal()):
		return Action{Kind: ActResolve, Stage: -1}
	}
	a := remediationWork(r, now)
	switch a.Kind {
	case ActRemStart, ActStartBackup, ActStartPatch:
		// What starts changing hosts waits for freezes and the change
		// window, as a cycle stage does.
		if h, held := r.held(now, fz); held {
			a = h
		}
	}
	if (a.Kind == ActWait || a.Kind == ActNone) && r.pendingDelivery() {
		return Action{Kind: ActFlush, Stage: -1, Until: a.Until, Reason: a.Reason}
	}
	return a
}

func remediationWork(r *Remediation, now time.Time) Action {
	switch r.Status {
	case RemResolved, RemNotCompliant, RemUnverified, RemDismissed:
		if r.collectsEntries() {
			return Action{Kind: ActRemGather, Stage: -1} // dismissed while collecting: keep what it held
		}
		if r.pendingDelivery() {
			return Action{Kind: ActFlush, Stage: -1}
		}
		return Action{Kind: ActArchive, Stage: -1}
	case RemCollecting:
		if now.Before(r.WindowEnd) {
			return Action{Kind: ActWait, Stage: -1, Until: r.WindowEnd, Reason: "collecting events until " + r.WindowEnd.UTC().Format(time.RFC3339)}
		}
		switch {
		case r.collectsEntries() && !r.Sealed:
			return Action{Kind: ActRemSeal, Stage: -1}
		case r.collectsEntries():
			return Action{Kind: ActRemGather, Stage: -1}
		}
		if r.InstanceCount() == 0 {
			return Action{Kind: ActArchive, Stage: -1} // opened by an intake that crashed before its event
		}
		if r.allCompliant() {
			return Action{Kind: ActRemSelfHealed, Stage: -1}
		}
		return Action{Kind: ActRemClose, Stage: -1}
	case RemAwaitingApproval, RemApproved:
		if r.allCompliant() {
			return Action{Kind: ActRemSelfHealed, Stage: -1}
		}
		if r.Status == RemAwaitingApproval {
			return Action{Kind: ActWait, Stage: -1, Reason: fmt.Sprintf("awaiting approval %d/%d", len(r.Approvals), r.MinApprovals)}
		}
		return Action{Kind: ActRemStart, Stage: -1}
	case RemFailed:
		return Action{Kind: ActWait, Stage: -1, Reason: "failed: " + failureReason(r.Failure)}
	case RemGates:
		switch {
		case !r.hasGate("inventory"):
			return Action{Kind: ActInventory, Stage: -1}
		case r.SensorGate && !r.hasGate("sensors"):
			return Action{Kind: ActSensors, Stage: -1}
		case !r.Backup.Sent():
			return Action{Kind: ActStartBackup, Stage: -1}
		}
		return Action{Kind: ActPollBackup, Stage: -1}
	case RemPatching:
		if !r.Patch.Sent() {
			return Action{Kind: ActStartPatch, Stage: -1}
		}
		return Action{Kind: ActPollPatch, Stage: -1}
	case RemVerifying:
		return Action{Kind: ActVerify, Stage: -1}
	case RemEvaluating:
		switch {
		case r.EvalStarted.IsZero():
			return Action{Kind: ActRemEvaluate, Stage: -1}
		case !now.Before(r.evalDeadline()):
			return Action{Kind: ActRemTimeout, Stage: -1}
		case now.Before(r.EvalChecked.Add(r.evalEvery())):
			return Action{Kind: ActWait, Stage: -1, Until: r.EvalChecked.Add(r.evalEvery()), Reason: "waiting for AWS Config to re-evaluate"}
		}
		return Action{Kind: ActRemCompliance, Stage: -1}
	}
	return Action{Kind: ActWait, Stage: -1, Reason: "unknown status " + string(r.Status)}
}

// held is the wait a freeze or the closed change window imposes on
// starting work at now, recorded once per freeze and window opening.
func (r *Remediation) held(now time.Time, fz []Freeze) (Action, bool) {
	if f, frozen := holding(fz, r.Tenant, now); frozen {
		reason := "frozen: " + f.Describe()
		if r.Held != "freeze:"+f.key() {
			return Action{Kind: ActFreezeHold, Stage: -1, Until: f.Until, Reason: reason, Freeze: &f}, true
		}
		return Action{Kind: ActWait, Stage: -1, Until: f.Until, Reason: reason}, true
	}
	if r.Window == "" {
		return Action{}, false
	}
	w, err := ParseWindow(r.Window, time.UTC)
	if err != nil {
		return Action{Kind: ActWait, Stage: -1, Reason: "change window unusable: " + err.Error()}, true
	}
	if span, open := w.Open(now); open && span.End.Sub(now) >= r.MinRemaining {
		return Action{}, false
	}
	next := w.NextOpen(now)
	reason := fmt.Sprintf("waits for change window %s, opening %s", w.Spec, whenLocal(next.Start, w.Loc))
	if r.Held != windowHeld(next) {
		return Action{Kind: ActWindowHold, Stage: -1, Until: next.Start, Reason: reason}, true
	}
	return Action{Kind: ActWait, Stage: -1, Until: next.Start, Reason: reason}, true
}

func windowHeld(s Span) string { return "window:" + s.Start.UTC().Format(time.RFC3339) }

func (r *Remediation) hasGate(name string) bool {
	return slices.ContainsFunc(r.Gates, func(g Gate) bool { return g.Name == name })
}

// allCompliant reports whether Config reported every instance COMPLIANT.
func (r *Remediation) allCompliant() bool {
	if !r.loaded() {
		return r.InstancesBlob.Count > 0 && r.InstancesBlob.Compliant == r.InstancesBlob.Count
	}
	if len(r.Instances) == 0 {
		return false
	}
	for _, in := range r.Instances {
		if in.Compliance != Compliant {
			return false
		}
	}
	return true
}
