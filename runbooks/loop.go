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
	cycles, err := e.Active(ctx)
	if err != nil {
		return st, err
	}
	st.Active = len(cycles)
	now := e.now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.cfg.Workers)
	results := make(chan reconcileResult, len(cycles))
	for _, c := range cycles {
		if !Next(c, now).NeedsIO() {
			continue
		}
		if gctx.Err() != nil {
			break // shutting down: take no new cycle
		}
		id := c.ID
		g.Go(func() error {
			results <- e.reconcile(gctx, id)
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
	return st, err
}

type reconcileResult struct {
	steps int
	held  bool
	err   error
}

// reconcile leases one cycle and steps it until it waits, a poll shows no
// progress, or MaxSteps is reached.
func (e *Engine) reconcile(ctx context.Context, id string) reconcileResult {
	lease, err := e.deps.Store.AcquireLease(ctx, cycleLeaseKey(id), e.cfg.Replica, e.cfg.LeaseTTL)
	if errors.Is(err, state.ErrLeaseHeld) {
		return reconcileResult{held: true}
	}
	if err != nil {
		return reconcileResult{err: err}
	}
	defer func() {
		// Released on a detached context so shutdown still frees the lease.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := e.deps.Store.ReleaseLease(rctx, lease); err != nil && !errors.Is(err, state.ErrLeaseLost) {
			e.log.Warn("release cycle lease", "cycle", id, "err", err)
		}
	}()
	var res reconcileResult
	var d delivered
	renewed := time.Now()
	for res.steps < e.cfg.MaxSteps && ctx.Err() == nil {
		c, err := e.getActive(ctx, id)
		if err != nil {
			if ErrorCode(err) == CodeNotFound {
				return res // archived meanwhile
			}
			res.err = err
			return res
		}
		a := Next(c, e.now())
		if !a.NeedsIO() {
			return res
		}
		// Renew once a third of the lease is used, so a step never starts
		// on a lease about to lapse.
		if time.Since(renewed) > e.cfg.LeaseTTL/3 {
			if lease, err = e.deps.Store.RenewLease(ctx, lease, e.cfg.LeaseTTL); err != nil {
				res.err = err
				return res
			}
			renewed = time.Now()
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.cfg.StepTimeout)
		progressed, err := e.step(sctx, &lease, c, a, &d)
		cancel()
		res.steps++
		if err != nil {
			if !errors.Is(err, state.ErrConflict) {
				e.log.Warn("step failed", "cycle", id, "action", a.String(), "err", err)
				res.err = err
				return res
			}
			continue // the record moved (a decision came in): re-read and go on
		}
		if !progressed {
			return res
		}
	}
	return res
}
