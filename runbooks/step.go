package runbooks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/state"
)

// step executes one action on a leased cycle and writes the result with a
// fenced compare-and-swap. It reports whether the cycle moved, so the caller
// keeps stepping, or must wait (a poll with no news, a provider error). The
// action's provider calls run under StepTimeout; the write that records the
// outcome gets a fresh RecordTimeout, so a call that used up its budget is
// recorded as a failed attempt instead of failing the write too.
func (e *Engine) step(ctx context.Context, lease *state.Lease, c *Cycle, a Action, d *delivered) (bool, error) {
	n := c.Clone()
	n.trim(*d)
	switch a.Kind {
	case ActFlush:
		wctx, cancel := context.WithTimeout(ctx, e.cfg.RecordTimeout)
		defer cancel()
		// Deliver what the record already holds, then record that it was.
		nd, derr := e.deliver(wctx, n)
		if derr != nil {
			return false, derr
		}
		*d = nd
		n.trim(nd)
		if len(n.Outbox) == len(c.Outbox) && n.Notified == c.Notified {
			return false, nil // chat is down; try again next tick
		}
		if err := e.save(wctx, lease, n); err != nil {
			return false, err
		}
		return true, nil
	case ActArchive:
		wctx, cancel := context.WithTimeout(ctx, e.cfg.RecordTimeout)
		defer cancel()
		return true, e.archive(wctx, c)
	}
	cctx, ccancel := context.WithTimeout(ctx, e.cfg.StepTimeout)
	moved, err := e.act(cctx, n, a, e.now())
	err = e.overBudget(cctx, a, err)
	ccancel()
	wctx, cancel := context.WithTimeout(ctx, e.cfg.RecordTimeout)
	defer cancel()
	if err != nil {
		// A provider error: counted on the stage, and after MaxErrors in a
		// row the stage fails (and pages) instead of retrying forever.
		if !e.providerError(n, a.Stage, e.now(), a, err) {
			if serr := e.save(wctx, lease, n); serr != nil {
				return false, fmt.Errorf("record failed %s of cycle %s: %w", a.Kind, n.ID, serr)
			}
			return false, nil
		}
		moved = true
	}
	if !moved && !changed(c, n) {
		return false, nil
	}
	if err := e.save(wctx, lease, n); err != nil {
		return false, err
	}
	nd, derr := e.deliver(wctx, n)
	if derr != nil {
		e.log.Warn("deliver events", "cycle", n.ID, "err", derr)
	} else {
		*d = nd
		e.checkpointDue(ctx, n, nd.last)
	}
	if n.Revision == c.Revision && e.deps.Chat != nil {
		// Progress only (patched 812/1,200): refresh the message, no event.
		if err := e.deps.Chat.CycleChanged(wctx, n, nil); err != nil {
			e.log.Warn("chat progress update failed", "cycle", n.ID, "err", err)
		}
	}
	return moved, nil
}

// act runs the provider side of action a on n.
func (e *Engine) act(ctx context.Context, n *Cycle, a Action, now time.Time) (bool, error) {
	switch a.Kind {
	case ActOpen:
		n.open(a.Stage, now)
		return true, nil
	case ActInventory:
		return e.inventory(ctx, n, a.Stage, now)
	case ActHealth:
		return e.health(ctx, n, a.Stage)
	case ActSensors:
		return e.sensors(ctx, n, a.Stage)
	case ActStartBackup:
		return e.startOp(ctx, n, a.Stage, now, backupOp)
	case ActPollBackup:
		return e.pollOp(ctx, n, a.Stage, backupOp)
	case ActStartPatch:
		return e.startOp(ctx, n, a.Stage, now, patchOp)
	case ActPollPatch:
		return e.pollOp(ctx, n, a.Stage, patchOp)
	case ActVerify:
		return e.verify(ctx, n, a.Stage)
	case ActSoakDone:
		n.advance(a.Stage, now)
		return true, nil
	case ActWindowOpen, ActWindowHold:
		n.windowStep(a, now)
		return true, nil
	case ActRemind:
		e.remind(n, a.Stage, now)
		return true, nil
	case ActExpire:
		n.expire(a.Stage, now)
		return true, nil
	case ActFreezeHold, ActFreezeEnd:
		n.freezeStep(a, now)
		return true, nil
	case ActReport:
		return e.report(ctx, n, a.Stage, now)
	case ActComplete:
		n.Status, n.Ended = StatusCompleted, n.lastDone(now)
		n.emit(now, "", EvCycleCompleted, ActorSystem, "all stages done", nil)
		return true, nil
	case ActPage, ActAck, ActResolve:
		return e.incident(ctx, n, a, now)
	case ActChange:
		return e.changeStep(ctx, n, a, now)
	}
	return false, fmt.Errorf("cycle %s: no executor for action %s", n.ID, a)
}

// overBudget names the step budget in an error caused by its deadline when
// the provider did not describe the call itself.
func (e *Engine) overBudget(cctx context.Context, a Action, err error) error {
	if err == nil || !errors.Is(cctx.Err(), context.DeadlineExceeded) {
		return err
	}
	if _, ok := AsCallError(err); ok {
		return err
	}
	return fmt.Errorf("%s: no answer within the step budget (engine.step_timeout %s): %w", a.Kind, ForPeople(e.cfg.StepTimeout), err)
}

// providerError records a failed provider call on stage i and reports
// whether it failed the stage.
func (e *Engine) providerError(n *Cycle, i int, now time.Time, a Action, err error) bool {
	if i < 0 {
		e.log.Warn("cycle action failed", "cycle", n.ID, "action", a.String(), "err", err)
		return false
	}
	s := &n.Stages[i]
	if ErrorCode(err) == CodePending {
		e.log.Debug("provider work still running", "cycle", n.ID, "tenant", n.Tenant, "stage", s.Name,
			"action", string(a.Kind), "detail", ErrorMessage(err))
		return false
	}
	if a.Kind == ActPage || a.Kind == ActAck || a.Kind == ActResolve {
		// A pager error is not the stage's: counting it among the stage's
		// consecutive errors let a pager outage during a retried stage fail
		// that stage on its next single transient error. The incident action
		// is tried again on the next tick.
		e.log.Warn("pager call failed", "cycle", n.ID, "tenant", n.Tenant, "stage", s.Name,
			"action", string(a.Kind), "err", err)
		s.Incident.LastError = err.Error()
		return false
	}
	s.Errors++
	s.LastError = err.Error()
	if ErrorCode(err) == CodeBlocked {
		n.failWith(i, now, fmt.Sprintf("%s blocked: %s", a.Kind, ErrorMessage(err)), nil, rawError(err))
		return true
	}
	e.log.Warn("provider call failed", "cycle", n.ID, "tenant", n.Tenant, "stage", s.Name,
		"action", string(a.Kind), "attempt", s.Errors, "err", err)
	if s.Errors < e.cfg.MaxErrors {
		return false
	}
	n.failWith(i, now, fmt.Sprintf("%s failed %d times: %v", a.Kind, s.Errors, err), nil, rawError(err))
	return true
}

// rawError is the detail a stage.failed event keeps of a provider error:
// the whole chain, and the SDK's own text when a CallError summarised it.
func rawError(err error) map[string]string {
	m := map[string]string{"error": err.Error()}
	if ce, ok := AsCallError(err); ok {
		m["raw_error"] = ce.Raw()
		m["system"], m["service"], m["operation"] = ce.System, ce.Service, ce.Operation
		m["cause"] = ce.PlainCause()
	}
	return m
}

// changed reports whether a step left bookkeeping worth writing.
func changed(old, n *Cycle) bool {
	if len(old.Outbox) != len(n.Outbox) || old.Revision != n.Revision {
		return true
	}
	for i := range old.Stages {
		o, s := old.Stages[i], n.Stages[i]
		if o.Backup != s.Backup || o.Patch != s.Patch || o.Errors != s.Errors {
			return true
		}
	}
	return false
}

// archive moves a finished cycle to the done set and frees its tenant. Each
// part is idempotent, so a crash half-way is finished by the next replica.
func (e *Engine) archive(ctx context.Context, c *Cycle) error {
	if err := e.sealAudit(ctx, c); err != nil {
		return err
	}
	st := e.deps.Store
	b, err := e.encodeCycle(ctx, c)
	if err != nil {
		return err
	}
	// Before the move, so a crash in between leaves the sweep to the next
	// tick; the record is final, so what it names is what stays.
	if err := e.sweepCycleBlobs(ctx, c, b); err != nil {
		return err
	}
	if _, err := st.Create(ctx, doneKey(c.ID), b); err != nil && !errors.Is(err, state.ErrConflict) {
		return fmt.Errorf("archive cycle %s: %w", c.ID, err)
	}
	if r, err := st.Get(ctx, tenantLockKey(c.Tenant)); err == nil && string(r.Value) == c.ID {
		if err := st.Delete(ctx, tenantLockKey(c.Tenant), r.Version); err != nil && !errors.Is(err, state.ErrConflict) {
			return fmt.Errorf("free tenant %s: %w", c.Tenant, err)
		}
	}
	if err := st.Delete(ctx, activeKey(c.ID), c.Version); err != nil && !errors.Is(err, state.ErrNotFound) {
		return err
	}
	e.log.Info("cycle archived", "cycle", c.ID, "tenant", c.Tenant, "status", string(c.Status))
	return nil
}

// recordContext bounds a write that keeps what a provider call returned
// (a handle, an inventory) by RecordTimeout from now, detached from ctx's
// step budget, which the call may have used up.
func (e *Engine) recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), e.cfg.RecordTimeout)
}
