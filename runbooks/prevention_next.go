package runbooks

import (
	"fmt"
	"time"
)

// Prevention rollout actions.
const (
	ActExclusionsCheck ActionKind = "exclusions_check"
	ActAssignPolicy    ActionKind = "assign_policy"
	ActDetectionsCheck ActionKind = "detections_check" // during the window: shown only
	ActDetectionGate   ActionKind = "detection_gate"   // at its end: judged
)

// NextPrevention is the rollout's whole decision: given the record and the
// clock, the one next step. It does no I/O.
func NextPrevention(p *Prevention, now time.Time) Action {
	if a, ok := incidentNext(p.Incident, p.Status == PreventionFailed, p.Status.Terminal()); ok {
		return a
	}
	a := preventionWork(p, now)
	if (a.Kind == ActWait || a.Kind == ActNone) && p.pendingDelivery() {
		return Action{Kind: ActFlush, Stage: -1, Until: a.Until, Reason: a.Reason}
	}
	return a
}

func preventionWork(p *Prevention, now time.Time) Action {
	switch p.Status {
	case PreventionAwaitingApproval:
		return Action{Kind: ActWait, Stage: -1, Reason: fmt.Sprintf("awaiting approval %d/%d", len(p.Approvals), p.MinApprovals)}
	case PreventionBlocked:
		return Action{Kind: ActWait, Stage: -1, Reason: "required exclusions missing"}
	case PreventionFailed:
		return Action{Kind: ActWait, Stage: -1, Reason: "failed: " + p.LastError}
	case PreventionChecking:
		return Action{Kind: ActExclusionsCheck, Stage: -1}
	case PreventionAssigning:
		return Action{Kind: ActAssignPolicy, Stage: -1}
	case PreventionMonitoring:
		switch {
		case !now.Before(p.WindowEnds):
			return Action{Kind: ActDetectionGate, Stage: -1}
		case !now.Before(p.NextCheck):
			return Action{Kind: ActDetectionsCheck, Stage: -1}
		}
		until := p.NextCheck
		if p.WindowEnds.Before(until) {
			until = p.WindowEnds
		}
		return Action{Kind: ActWait, Stage: -1, Until: until, Reason: "monitoring window until " + p.WindowEnds.UTC().Format(time.DateTime+"Z")}
	}
	if p.Status.Terminal() {
		if p.pendingDelivery() {
			return Action{Kind: ActFlush, Stage: -1}
		}
		return Action{Kind: ActArchive, Stage: -1}
	}
	return Action{Kind: ActWait, Stage: -1, Reason: "unknown status " + string(p.Status)}
}
