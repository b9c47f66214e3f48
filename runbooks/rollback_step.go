package runbooks

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/patchgate/patchgate/state"
)

// rollbackKind plugs rollbacks into the engine (see kinds.go).
type rollbackKind struct{ e *Engine }

func (rollbackKind) name() string        { return "rollback" }
func (rollbackKind) owns(id string) bool { return IsRollbackID(id) }
func (k rollbackKind) decide(ctx context.Context, d Decision) (Outcome, error) {
	return k.e.decideRollback(ctx, d)
}

func (k rollbackKind) due(ctx context.Context, now time.Time) ([]string, error) {
	rbs, err := k.e.Rollbacks(ctx, false)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, rb := range rbs {
		if NextRollback(rb, now).NeedsIO() {
			ids = append(ids, rb.ID)
		}
	}
	return ids, nil
}

// step runs one action of a leased rollback (see stepKind).
func (k rollbackKind) step(ctx context.Context, lease *state.Lease, id string) (bool, bool, error) {
	return stepKind(ctx, k.e, lease, id, k.e.rollbackSteps())
}

func restoresChanged(a, b *Rollback) bool {
	for i := range a.Hosts {
		x, y := a.Hosts[i].Restore, b.Hosts[i].Restore
		if x.Handle != y.Handle || x.Step != y.Step || x.Done != y.Done {
			return true
		}
	}
	return false
}

func (e *Engine) actRollback(ctx context.Context, n *Rollback, a Action) (bool, error) {
	now := e.now()
	switch a.Kind {
	case ActRestoreStart:
		return e.startRestore(ctx, n, a.Stage)
	case ActRestorePoll:
		return e.pollRestore(ctx, n, a.Stage)
	case ActRestoresDone:
		n.Status, n.Restored = RollbackVerifying, now
		n.emit(now, "", EvRestoresDone, ActorSystem, fmt.Sprintf("%d host(s) restored; verifying agent, sensor and health", len(n.Hosts)), nil)
		return true, nil
	case ActRollbackVerify:
		return e.verifyRollback(ctx, n)
	case ActMarkCycle:
		return e.markCycle(ctx, n)
	case ActRollbackHalt:
		n.Status = RollbackHalted
		n.emit(now, "", EvRollbackHalted, ActorSystem, "halted: "+haltSummary(n), map[string]string{"by": n.Halt.By})
		return true, nil
	case ActPage, ActResolve:
		return e.rollbackIncident(ctx, n, a, now)
	}
	return false, fmt.Errorf("rollback %s: no executor for action %s", n.ID, a)
}

// rollbackError counts a failed provider call; MaxErrors in a row (or a
// blocked verdict) fail the rollback, which pages. It reports whether the
// rollback moved.
func (e *Engine) rollbackError(n *Rollback, a Action, err error) bool {
	if a.Kind == ActPage || a.Kind == ActResolve {
		n.Incident.LastError = err.Error()
		e.log.Warn("pager call failed", "rollback", n.ID, "err", err)
		return false
	}
	if ErrorCode(err) == CodePending {
		return false
	}
	n.Errors++
	n.LastError = err.Error()
	e.log.Warn("provider call failed", "rollback", n.ID, "action", string(a.Kind), "attempt", n.Errors, "err", err)
	if n.Errors < e.cfg.MaxErrors && ErrorCode(err) != CodeBlocked {
		return false
	}
	var fs []Finding
	if a.Stage >= 0 {
		h := n.Hosts[a.Stage]
		fs = []Finding{{HostID: h.Host.ID, HostName: h.Host.Name, Reason: err.Error()}}
	}
	n.fail(e.now(), fmt.Sprintf("%s failed %d times: %v", a.Kind, n.Errors, err), fs, rawError(err))
	return true
}

// fail stops the rollback where it stands; a person retries or rejects.
func (r *Rollback) fail(now time.Time, reason string, findings []Finding, extra map[string]string) {
	phase := Phase(r.Status)
	r.Failure = &Failure{Phase: phase, At: now, Reason: reason, Findings: findings}
	r.Status = RollbackFailed
	r.Incident = Incident{Key: "patchgate/" + r.ID}
	data := map[string]string{"phase": string(phase), "hosts": hostList(findings, 20)}
	for k, v := range extra {
		data[k] = v
	}
	r.emit(now, "", EvRollbackFailed, ActorSystem, reason, data)
}

func (e *Engine) restoreRequest(n *Rollback, i int) RestoreRequest {
	h := n.Hosts[i]
	return RestoreRequest{Tag: fmt.Sprintf("%s/%s/%d", n.ID, h.Host.ID, n.Attempt), Rollback: n.ID,
		Tenant: n.Tenant, Env: n.Env, Host: h.Host, Backup: h.Backup}
}

// startRestore finds this attempt's restore if an interrupted step sent it
// and only otherwise sends it; the handle is stored before any poll.
func (e *Engine) startRestore(ctx context.Context, n *Rollback, i int) (bool, error) {
	req := e.restoreRequest(n, i)
	st, found, err := e.deps.Restorer.FindRestore(ctx, req)
	if err == nil && !found {
		st, err = e.deps.Restorer.StartRestore(ctx, req)
	}
	if err != nil {
		return false, fmt.Errorf("restore %s from %s (%s): %w", hostLabel(req.Host), req.Backup.ID, req.Tag, err)
	}
	now := e.now()
	h := &n.Hosts[i]
	h.Restore = RestoreOp{Tag: req.Tag, Started: now, Source: st.Source}
	n.Errors, n.LastError = 0, ""
	detail := fmt.Sprintf("restore from %s %s started: %s", h.Backup.Kind, h.Backup.ID, st.Step)
	if found {
		detail += " (found the earlier request after a restart)"
	}
	e.recordRestore(n, i, st, now, EvRestoreStarted, detail)
	return true, nil
}

// pollRestore polls the step a host's restore is at and records any step
// the provider moved it to (its handle first, so the next poll polls it).
func (e *Engine) pollRestore(ctx context.Context, n *Rollback, i int) (bool, error) {
	req := e.restoreRequest(n, i)
	h := &n.Hosts[i]
	req.Tag = h.Restore.Tag
	st, err := e.deps.Restorer.PollRestore(ctx, req, h.Restore.Handle)
	if err != nil {
		return false, fmt.Errorf("poll restore of %s (%s, step %s): %w", hostLabel(h.Host), h.Restore.Tag, h.Restore.Step, err)
	}
	n.Errors, n.LastError = 0, ""
	now := e.now()
	if st.Handle == h.Restore.Handle && st.Step == h.Restore.Step && !st.Done && st.Failed == "" && len(st.Manual) == 0 {
		return false, nil // still running
	}
	e.recordRestore(n, i, st, now, EvRestoreStep, st.Step)
	return true, nil
}

// recordRestore keeps what the provider answered about host i's restore
// and explains it in the audit trail.
func (e *Engine) recordRestore(n *Rollback, i int, st RestoreStatus, now time.Time, typ, detail string) {
	h := &n.Hosts[i]
	op := &h.Restore
	if st.Handle != "" {
		op.Handle = st.Handle
	}
	if op.Handle == "" {
		op.Handle = op.Tag // a manual procedure has no provider handle
	}
	op.Step = st.Step
	if st.Source != "" {
		op.Source = st.Source
	}
	data := map[string]string{"tag": op.Tag, "handle": op.Handle, "step": st.Step, "backup": h.Backup.ID}
	n.emit(now, h.Host.ID, typ, ActorSystem, detail, data)
	switch {
	case st.Failed != "":
		op.Failed = st.Failed
		n.fail(now, fmt.Sprintf("restore of %s failed at %s: %s", hostLabel(h.Host), orDefault(st.Step, "its first step"), st.Failed),
			[]Finding{{HostID: h.Host.ID, HostName: h.Host.Name, Reason: st.Failed, Source: op.Source}}, nil)
	case len(st.Manual) > 0 && len(op.Manual) == 0:
		op.Manual = st.Manual
		n.emit(now, h.Host.ID, EvRestoreManual, ActorSystem, "manual procedure (no API restores this in place): "+strings.Join(st.Manual, " | "),
			map[string]string{"steps": strings.Join(st.Manual, "\n")})
	case st.Done:
		op.Done, op.At = true, now
		n.emit(now, h.Host.ID, EvRestoreDone, ActorSystem, fmt.Sprintf("restored from %s %s", h.Backup.Kind, h.Backup.ID),
			map[string]string{"backup": h.Backup.ID, "source": op.Source})
	}
}

// rollbackIncident pages a failed rollback and resolves the page once it
// succeeds (or a person closed it), idempotent per dedup key.
func (e *Engine) rollbackIncident(ctx context.Context, n *Rollback, a Action, now time.Time) (bool, error) {
	page := Page{Summary: fmt.Sprintf("patchgate: rollback %s of %s %s failed: %s", n.ID, n.Tenant, n.Env, failureReason(n.Failure)),
		Details: map[string]string{"rollback": n.ID, "cycle": n.Cycle, "tenant": n.Tenant, "env": n.Env, "hosts": failureHosts(n.Failure)}}
	return e.runbookIncident(ctx, n.ID, &n.Incident, n.Production, a, now, page, "rollback went on",
		func(now time.Time, typ, detail string, data map[string]string) {
			n.emit(now, "", typ, ActorSystem, detail, data)
		})
}

// rollbackSteps is what the rollback kind brings to stepKind.
func (e *Engine) rollbackSteps() kindSteps[Rollback, *Rollback] {
	return kindSteps[Rollback, *Rollback]{
		store: e.rollbacks(),
		next:  func(_ context.Context, r *Rollback) (Action, error) { return NextRollback(r, e.now()), nil },
		clone: (*Rollback).Clone, act: e.actRollback, failed: e.rollbackError,
		changed: func(a, b *Rollback) bool { return a.Errors != b.Errors || restoresChanged(a, b) },
		deliver: e.deliverRollback, archive: e.archiveRollback, holds: true,
	}
}
