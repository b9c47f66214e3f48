package runbooks

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/patchgate/patchgate/state"
)

// Run reconciles active cycles every Tick until ctx ends. On shutdown it
// stops taking new cycles and lets steps already running reach their write
// (each step runs on a context detached from ctx, bounded by StepTimeout).
func (e *Engine) Run(ctx context.Context) error {
	t := time.NewTicker(e.cfg.Tick)
	defer t.Stop()
	defer e.releaseAll(ctx)
	for {
		if err := e.Tick(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("reconcile tick failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// TickStats says what one tick did.
type TickStats struct {
	Active  int // cycles listed
	Worked  int // cycles that needed I/O and were leased by this replica
	Skipped int // cycles another replica held
	Steps   int // actions executed
}

// Tick reconciles every active cycle once. Next runs on the listed record
// first, so cycles that only wait (for a person or the clock) cost no lease
// and no write; the others are leased and stepped by a bounded pool.
func (e *Engine) Tick(ctx context.Context) error {
	_, err := e.TickStats(ctx)
	return err
}

// TickStats is Tick, reporting what it did.
func (e *Engine) TickStats(ctx context.Context) (TickStats, error) {
	var st TickStats
	// The listing decodes the records only: Next needs no per-host results.
	cycles, err := listCycles(ctx, e.deps.Store, activePrefix)
	if err != nil {
		return st, err
	}
	st.Active = len(cycles)
	// Freezes are read once per tick: a freeze set meanwhile holds from
	// the next tick, and an operation it would stop is never half-sent.
	fz, err := e.Freezes(ctx)
	if err != nil {
		return st, err
	}
	now := e.now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.cfg.Workers)
	results := make(chan reconcileResult, len(cycles))
	for _, c := range cycles {
		if !NextUnderFreeze(c, now, fz).NeedsIO() {
			continue
		}
		if gctx.Err() != nil {
			break // shutting down: take no new cycle
		}
		id := c.ID
		g.Go(func() error {
			results <- e.reconcile(gctx, id, fz)
			return nil
		})
	}
	_ = g.Wait()
	close(results)
	for r := range results {
		switch {
		case r.held:
			st.Skipped++
		default:
			st.Worked++
			st.Steps += r.steps
		}
		if r.err != nil {
			err = errors.Join(err, r.err)
		}
	}
	kst, kerr := e.tickKinds(ctx) // rollbacks and other runbook kinds
	return st.plus(kst), errors.Join(err, kerr)
}

type reconcileResult struct {
	steps int
	held  bool
	err   error
}

// reconcile leases one cycle and steps it until it waits, a poll shows no
// progress, or MaxSteps is reached. A cycle that will need this replica
// again next tick (an operation still running) keeps its lease, so a busy
// tick costs a read and a poll, not two lease writes per cycle.
func (e *Engine) reconcile(ctx context.Context, id string, fz []Freeze) reconcileResult {
	lease, err := e.lease(ctx, id)
	if errors.Is(err, state.ErrLeaseHeld) {
		return reconcileResult{held: true}
	}
	if err != nil {
		return reconcileResult{err: err}
	}
	res, keep := e.steps(ctx, id, &lease, fz)
	if keep && ctx.Err() == nil {
		return res
	}
	e.release(ctx, id, lease)
	return res
}

// steps runs the step loop on a leased cycle. keep reports whether the cycle
// still has work for this replica on the next tick.
func (e *Engine) steps(ctx context.Context, id string, lease *state.Lease, fz []Freeze) (res reconcileResult, keep bool) {
	var d delivered
	for res.steps < e.cfg.MaxSteps && ctx.Err() == nil {
		c, err := e.getActive(ctx, id)
		if err != nil {
			if ErrorCode(err) != CodeNotFound { // not found: archived meanwhile
				res.err = err
			}
			return res, false
		}
		a := NextUnderFreeze(c, e.now(), fz)
		if !a.NeedsIO() {
			return res, false
		}
		if *lease, err = e.renew(ctx, id, *lease); err != nil {
			res.err = err
			return res, false
		}
		// Detached from ctx: a running step reaches its write on shutdown.
		// step bounds the provider call by StepTimeout and the write that
		// records its outcome by its own, fresh RecordTimeout.
		progressed, err := e.step(context.WithoutCancel(ctx), lease, c, a, &d)
		res.steps++
		switch {
		case errors.Is(err, state.ErrConflict):
			continue // the record moved (a decision came in): re-read and go on
		case err != nil:
			e.log.Warn("step failed", "cycle", id, "action", a.String(), "err", err)
			res.err = err
			return res, false
		case !progressed:
			return res, true
		}
	}
	return res, true
}
