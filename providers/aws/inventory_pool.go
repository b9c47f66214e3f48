package aws

import (
	"context"
	"sync"

	"golang.org/x/sync/errgroup"
)

// callPool runs a region's SSM calls on a fixed set of goroutines, one per
// call the account may have in flight. A goroutine per call would start
// with a small stack and grow it, copy by copy, through the SDK's deep
// middleware chain on every call (about a tenth of the inventory's CPU);
// a worker grows its stack once and keeps it. The account's limiter still
// bounds the calls in flight.
type callPool struct {
	ctx     context.Context // cancelled when a call fails or the pool stops
	cancel  context.CancelFunc
	work    chan func(context.Context) error
	feeders sync.WaitGroup
	g       *errgroup.Group
}

func newCallPool(ctx context.Context, workers int) *callPool {
	ctx, cancel := context.WithCancel(ctx)
	g, gctx := errgroup.WithContext(ctx)
	cp := &callPool{ctx: gctx, cancel: cancel, work: make(chan func(context.Context) error), g: g}
	for range max(workers, 1) {
		g.Go(func() error {
			for f := range cp.work {
				if err := f(gctx); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return cp
}

// submit queues tasks without blocking the caller, so the next EC2 page
// is asked for while this one's SSM calls wait for a worker.
func (cp *callPool) submit(tasks ...func(context.Context) error) {
	cp.feeders.Add(1)
	go func() {
		defer cp.feeders.Done()
		for _, f := range tasks {
			select {
			case cp.work <- f:
			case <-cp.ctx.Done():
				return
			}
		}
	}()
}

// wait runs every submitted task (or stops at the first error) and
// returns that error.
func (cp *callPool) wait() error {
	cp.feeders.Wait()
	close(cp.work)
	err := cp.g.Wait()
	cp.cancel()
	return err
}

// stop abandons the tasks not yet run, waits for the running ones and
// returns the first error a task returned (context.Canceled for one
// stopped by this).
func (cp *callPool) stop() error {
	cp.cancel()
	return cp.wait()
}
