package schedule

import (
	"context"
	"errors"
	"fmt"

	"github.com/patchgate/patchgate/state"
)

// lead renews the scheduler lease if this replica holds it, or tries to take
// it. It reports whether this replica may fire now. Callers hold tickMu.
func (s *Scheduler) lead(ctx context.Context) (bool, error) {
	if s.leads {
		l, err := s.store.RenewLease(ctx, s.lease, s.opts.LeaseTTL)
		if err == nil {
			s.lease = l
			return true, nil
		}
		if !errors.Is(err, state.ErrLeaseLost) {
			return false, fmt.Errorf("renew scheduler lease: %w", err)
		}
		s.log.Warn("schedule: lost the scheduler lease", "token", s.lease.Token)
		s.leads = false
	}
	l, err := s.store.AcquireLease(ctx, LeaseKey, s.opts.Replica, s.opts.LeaseTTL)
	if errors.Is(err, state.ErrLeaseHeld) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("acquire scheduler lease as %s: %w", s.opts.Replica, err)
	}
	s.lease, s.leads = l, true
	s.log.Info("schedule: took the scheduler lease", "token", l.Token)
	return true, nil
}

// Release gives the scheduler lease up so another replica can lead at once
// instead of after LeaseTTL. Run calls it on the way out.
func (s *Scheduler) Release(ctx context.Context) error {
	s.tickMu.Lock()
	defer s.tickMu.Unlock()
	if !s.leads {
		return nil
	}
	s.leads = false
	err := s.store.ReleaseLease(ctx, s.lease)
	if err != nil && !errors.Is(err, state.ErrLeaseLost) {
		return fmt.Errorf("release scheduler lease: %w", err)
	}
	return nil
}
