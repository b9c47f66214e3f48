package runbooks

import (
	"context"
	"errors"
	"time"

	"github.com/patchgate/patchgate/state"
)

// runbookKind is one sort of runbook beside the patch cycle (rollback;
// remediation and sensor deployment plug in the same way). A kind brings a
// record type under its own key prefix, its pure Next, its steps and its
// rendering; the engine gives every kind the same loop, leases, fenced
// compare-and-swap writes, Decide, approval policy and audit chain.
type runbookKind interface {
	// name is the kind as it appears in keys and lease keys.
	name() string
	// owns reports whether a record ID belongs to this kind.
	owns(id string) bool
	// due lists the active records whose Next needs I/O at now.
	due(ctx context.Context, now time.Time) ([]string, error)
	// step reads record id, runs its next action under lease and reports
	// whether it moved (more to do now) and whether it still needs this
	// replica (an operation running).
	step(ctx context.Context, lease *state.Lease, id string) (moved, keep bool, err error)
	// decide applies a person's decision to record id.
	decide(ctx context.Context, d Decision) (Outcome, error)
}

// kinds are the runbook kinds the engine reconciles beside cycles.
func (e *Engine) kinds() []runbookKind {
	return []runbookKind{rollbackKind{e}, remediationKind{e}, preventionKind{e}, sensorDeployKind{e}}
}

// kindOf returns the kind owning record id, or nil for a cycle.
func (e *Engine) kindOf(id string) runbookKind {
	for _, k := range e.kinds() {
		if k.owns(id) {
			return k
		}
	}
	return nil
}

func kindLeaseKey(kind, id string) string { return "runbook/" + kind + "/" + id }

// tickKinds reconciles the due records of every kind, one after another
// (there are few: a rollback is rare next to cycles).
func (e *Engine) tickKinds(ctx context.Context) (TickStats, error) {
	var st TickStats
	var errs error
	for _, k := range e.kinds() {
		ids, err := k.due(ctx, e.now())
		if err != nil {
			errs = errors.Join(errs, err)
			continue
		}
		st.Active += len(ids)
		for _, id := range ids {
			if ctx.Err() != nil {
				return st, errs
			}
			r := e.reconcileKind(ctx, k, id)
			switch {
			case r.held:
				st.Skipped++
			default:
				st.Worked++
				st.Steps += r.steps
			}
			errs = errors.Join(errs, r.err)
		}
	}
	return st, errs
}

// reconcileKind leases one record and steps it as reconcile does a cycle.
func (e *Engine) reconcileKind(ctx context.Context, k runbookKind, id string) reconcileResult {
	key := kindLeaseKey(k.name(), id)
	lease, err := e.leaseKey(ctx, id, key)
	if errors.Is(err, state.ErrLeaseHeld) {
		return reconcileResult{held: true}
	}
	if err != nil {
		return reconcileResult{err: err}
	}
	var res reconcileResult
	keep := false
	for res.steps < e.cfg.MaxSteps && ctx.Err() == nil {
		if lease, err = e.renew(ctx, id, lease); err != nil {
			res.err = err
			return res
		}
		var moved bool
		moved, keep, err = k.step(context.WithoutCancel(ctx), &lease, id)
		res.steps++
		if errors.Is(err, state.ErrConflict) {
			continue
		}
		if err != nil {
			e.log.Warn("step failed", "runbook", k.name(), "id", id, "err", err)
			res.err = err
			break
		}
		if !moved {
			break
		}
	}
	if !keep || ctx.Err() != nil {
		e.release(ctx, id, lease)
	}
	return res
}

// plus adds the counts of o.
func (s TickStats) plus(o TickStats) TickStats {
	return TickStats{Active: s.Active + o.Active, Worked: s.Worked + o.Worked,
		Skipped: s.Skipped + o.Skipped, Steps: s.Steps + o.Steps}
}
