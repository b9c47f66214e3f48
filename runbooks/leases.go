package runbooks

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/patchgate/patchgate/state"
)

// heldLeases are the cycle leases this replica keeps between ticks.
type heldLeases struct {
	mu sync.Mutex
	m  map[string]heldLease
}

type heldLease struct {
	lease   state.Lease
	renewed time.Time // local time of the last acquire or renew
}

func (h *heldLeases) get(id string) (heldLease, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	l, ok := h.m[id]
	return l, ok
}

func (h *heldLeases) put(id string, l state.Lease) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]heldLease{}
	}
	h.m[id] = heldLease{lease: l, renewed: time.Now()}
}

func (h *heldLeases) drop(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m, id)
}

func (h *heldLeases) all() map[string]state.Lease {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]state.Lease, len(h.m))
	for id, l := range h.m {
		out[id] = l.lease
	}
	return out
}

// lease returns this replica's lease on a cycle, re-using one it kept.
func (e *Engine) lease(ctx context.Context, id string) (state.Lease, error) {
	return e.leaseKey(ctx, id, cycleLeaseKey(id))
}

// leaseKey is lease for any runbook record: id under lease key key.
func (e *Engine) leaseKey(ctx context.Context, id, key string) (state.Lease, error) {
	if h, ok := e.held.get(id); ok {
		l, err := e.renew(ctx, id, h.lease)
		if err == nil {
			return l, nil
		}
		if !errors.Is(err, state.ErrLeaseLost) {
			return state.Lease{}, err
		}
	}
	l, err := e.deps.Store.AcquireLease(ctx, key, e.cfg.Replica, e.cfg.LeaseTTL)
	if err != nil {
		return state.Lease{}, err
	}
	e.held.put(id, l)
	return l, nil
}

// renew extends the lease once a third of it is used, so a step never
// starts on a lease about to lapse and most steps cost no lease write.
func (e *Engine) renew(ctx context.Context, id string, l state.Lease) (state.Lease, error) {
	h, ok := e.held.get(id)
	if ok && h.lease.Token == l.Token && time.Since(h.renewed) < e.cfg.LeaseTTL/3 {
		return l, nil
	}
	n, err := e.deps.Store.RenewLease(ctx, l, e.cfg.LeaseTTL)
	if err != nil {
		e.held.drop(id)
		return state.Lease{}, err
	}
	e.held.put(id, n)
	return n, nil
}

// release gives a lease up on a context detached from shutdown, so a
// stopping replica frees its cycles for the others at once.
func (e *Engine) release(ctx context.Context, id string, l state.Lease) {
	e.held.drop(id)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := e.deps.Store.ReleaseLease(rctx, l); err != nil && !errors.Is(err, state.ErrLeaseLost) {
		e.log.Warn("release cycle lease", "cycle", id, "err", err)
	}
}

// releaseAll frees every kept lease (on shutdown).
func (e *Engine) releaseAll(ctx context.Context) {
	for id, l := range e.held.all() {
		e.release(ctx, id, l)
	}
}
