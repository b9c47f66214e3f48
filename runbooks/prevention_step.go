package runbooks

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/patchgate/patchgate/state"
)

// preventionKind plugs prevention rollouts into the engine (see kinds.go).
type preventionKind struct{ e *Engine }

func (preventionKind) name() string        { return "prevention" }
func (preventionKind) owns(id string) bool { return IsPreventionID(id) }
func (k preventionKind) decide(ctx context.Context, d Decision) (Outcome, error) {
	return k.e.decidePrevention(ctx, d)
}

func (k preventionKind) due(ctx context.Context, now time.Time) ([]string, error) {
	ps, err := k.e.Preventions(ctx, false)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, p := range ps {
		if NextPrevention(p, now).NeedsIO() {
			ids = append(ids, p.ID)
		}
	}
	return ids, nil
}

// step runs one action of a leased rollout and saves after every action
// (see stepKind).
func (k preventionKind) step(ctx context.Context, lease *state.Lease, id string) (bool, bool, error) {
	return stepKind(ctx, k.e, lease, id, k.e.preventionSteps())
}

func (e *Engine) actPrevention(ctx context.Context, n *Prevention, a Action) error {
	switch a.Kind {
	case ActExclusionsCheck:
		return e.checkExclusions(ctx, n)
	case ActAssignPolicy:
		return e.assignPolicy(ctx, n)
	case ActDetectionsCheck, ActDetectionGate:
		return e.watchDetections(ctx, n, a.Kind == ActDetectionGate)
	case ActPage, ActResolve:
		_, err := e.preventionIncident(ctx, n, a)
		return err
	}
	return fmt.Errorf("prevention %s: no executor for action %s", n.ID, a)
}

// checkExclusions blocks the rollout, naming what is missing, unless every
// required exclusion exists for the tier's host group.
func (e *Engine) checkExclusions(ctx context.Context, n *Prevention) error {
	have, err := e.deps.Prevention.Exclusions(ctx)
	if err != nil {
		return fmt.Errorf("list exclusions: %w", err)
	}
	now, src := e.now(), e.deps.Prevention.EvidenceSource()
	missing, found := missingExclusions(n.Plan.Exclusions, have, n.Plan.HostGroup)
	n.Missing, n.Exclusions = missing, found
	if len(missing) > 0 {
		n.Status = PreventionBlocked
		n.note(now, EvPreventionBlocked, fmt.Sprintf("blocked: %d required exclusion(s) missing for host group %s: %s", len(missing), n.Plan.HostGroup, joinNames(missing)),
			map[string]string{"missing": strings.Join(missing, "\n"), "found": strings.Join(found, "\n"), "source": src})
		return nil
	}
	n.Status = PreventionAssigning
	n.note(now, EvPreventionExclusions, fmt.Sprintf("%d required exclusion(s) present", len(found)),
		map[string]string{"found": strings.Join(found, "\n"), "source": src})
	return nil
}

// assignPolicy moves the host group to the rollout's policy and, for
// prevention, opens the monitoring window.
func (e *Engine) assignPolicy(ctx context.Context, n *Prevention) error {
	to, from := n.Plan.PreventionPolicy, n.Plan.DetectionPolicy
	if n.Mode == ModeDetection {
		to, from = from, to
	}
	mv, err := e.deps.Prevention.AssignHostGroup(ctx, n.Plan.HostGroup, to, from)
	if err != nil {
		return fmt.Errorf("move host group %s to policy %s: %w", n.Plan.HostGroup, to, err)
	}
	now := e.now()
	n.Move, n.Assigned = &mv, now
	data := map[string]string{"host_group": n.Plan.HostGroup, "to": to, "from": from, "added": fmt.Sprint(mv.Added),
		"removed": fmt.Sprint(mv.Removed), "source": mv.Source}
	if n.Mode == ModeDetection {
		n.Status, n.Ended = PreventionCompleted, now
		n.note(now, EvPreventionRolledBack, fmt.Sprintf("%s/%s rolled back to detection: host group %s moved to policy %s", n.Tenant, n.Tier, n.Plan.HostGroup, to), data)
		return nil
	}
	n.Status = PreventionMonitoring
	n.WindowEnds, n.NextCheck = now.Add(n.Plan.Window), now.Add(n.Plan.CheckEvery)
	data["window_ends"] = n.WindowEnds.UTC().Format(time.RFC3339)
	n.note(now, EvPreventionAssigned, fmt.Sprintf("host group %s moved to prevention policy %s; monitoring until %s", n.Plan.HostGroup, to,
		n.WindowEnds.UTC().Format(time.DateTime+"Z")), data)
	return nil
}

// watchDetections reads the detections since the move: during the window
// they are shown; at its end the thresholds judge them.
func (e *Engine) watchDetections(ctx context.Context, n *Prevention, final bool) error {
	now := e.now()
	if by, err := e.rolledBackSince(ctx, n); err != nil {
		return err
	} else if by != nil {
		n.Status, n.Ended = PreventionRolledBack, now
		n.note(now, EvPreventionRolledBack, fmt.Sprintf("the window ended early: %s rolled %s back to detection", by.ID, n.Tier), map[string]string{"by": by.ID})
		return nil
	}
	dc, err := e.deps.Prevention.Detections(ctx, n.Plan.HostGroup, n.Assigned)
	if err != nil {
		return fmt.Errorf("count detections of host group %s: %w", n.Plan.HostGroup, err)
	}
	g := judgeDetections(dc, n.Plan.Thresholds)
	data := map[string]string{"counts": dc.Counts.String(), "hosts": fmt.Sprint(dc.Hosts), "source": dc.Source,
		"since": dc.Since.UTC().Format(time.RFC3339)}
	for _, s := range Severities {
		data[s] = fmt.Sprint(dc.Counts[s])
	}
	if !final {
		n.Latest = &dc
		n.NextCheck = now.Add(n.Plan.CheckEvery)
		n.note(now, EvPreventionCheck, fmt.Sprintf("so far %s on %d host(s) (%s at the window's end)", dc.Counts.String(), dc.Hosts, verdictWord(g)), data)
		return nil
	}
	n.Latest, n.Gate, n.Ended = &dc, &g, now
	if g.Passed {
		n.Status = PreventionPassed
		n.note(now, EvPreventionPassed, "detection gate passed: "+g.Reason+"; the next tier may be approved", data)
		return nil
	}
	n.Status = PreventionGateFailed
	n.note(now, EvPreventionGateFailed, "detection gate failed: "+g.Reason+"; the next tier is blocked", data)
	return nil
}

func verdictWord(g DetectionGate) string {
	if g.Passed {
		return "within the thresholds"
	}
	return "would fail: " + g.Reason
}

// rolledBackSince finds a detection rollback of n's tier that completed
// after n moved the host group.
func (e *Engine) rolledBackSince(ctx context.Context, n *Prevention) (*Prevention, error) {
	for _, finished := range []bool{false, true} {
		ps, err := e.Preventions(ctx, finished)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if p.Tenant == n.Tenant && p.Tier == n.Tier && p.Mode == ModeDetection && p.Status == PreventionCompleted && !p.Ended.Before(n.Assigned) {
				return p, nil
			}
		}
	}
	return nil, nil
}

// preventionError counts a failed console call; MaxErrors in a row (or a
// blocked verdict) fail the rollout where it stands, for a retry.
func (e *Engine) preventionError(n *Prevention, err error) {
	if ErrorCode(err) == CodePending {
		return
	}
	n.Errors++
	n.LastError = err.Error()
	e.log.Warn("console call failed", "prevention", n.ID, "status", string(n.Status), "attempt", n.Errors, "err", err)
	if n.Errors < e.cfg.MaxErrors && ErrorCode(err) != CodeBlocked {
		return
	}
	n.FailedIn, n.Status = n.Status, PreventionFailed
	n.note(e.now(), EvPreventionFailed, fmt.Sprintf("%s failed %d times: %s", n.FailedIn, n.Errors, n.LastError), rawError(err))
}

func joinNames(names []string) string { return strings.Join(names, ", ") }

// preventionSteps is what the prevention kind brings to stepKind.
func (e *Engine) preventionSteps() kindSteps[Prevention, *Prevention] {
	return kindSteps[Prevention, *Prevention]{
		store: e.preventions(),
		next:  func(_ context.Context, p *Prevention) (Action, error) { return NextPrevention(p, e.now()), nil },
		clone: (*Prevention).Clone,
		act: func(ctx context.Context, n *Prevention, a Action) (bool, error) {
			err := e.actPrevention(ctx, n, a)
			return err == nil, err
		},
		failed: func(n *Prevention, a Action, err error) bool {
			if a.Kind == ActPage || a.Kind == ActResolve {
				n.Incident.LastError = err.Error()
				e.log.Warn("pager call failed", "prevention", n.ID, "err", err)
				return false
			}
			e.preventionError(n, err)
			return false
		},
		deliver: e.deliverPrevention, archive: e.archivePrevention,
	}
}
