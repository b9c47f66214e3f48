package azure

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// limit returns subscription sub's semaphore. ARM budgets reads and writes
// per subscription (and throttles with 429 beyond them), so concurrency is
// bounded per subscription rather than per call site.
func (p *Provider) limit(sub string) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.limits[sub]
	if !ok {
		l = make(chan struct{}, p.cfg.ConcurrencyPerSubscription)
		p.limits[sub] = l
	}
	return l
}

// each runs fn(i) for i in [0, n), each under the semaphore of the
// subscription subOf(i) returns, and returns the first error. fn must not
// call each itself (a full semaphore would wait on its own holders).
func (p *Provider) each(ctx context.Context, n int, subOf func(i int) string, fn func(ctx context.Context, i int) error) error {
	g, ctx := errgroup.WithContext(ctx)
	for i := range n {
		l := p.limit(subOf(i))
		g.Go(func() error {
			select {
			case l <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			defer func() { <-l }()
			return fn(ctx, i)
		})
	}
	return g.Wait()
}
