package schedule

import (
	"context"
	"time"
)

// releaseTimeout bounds giving the lease up on shutdown.
const releaseTimeout = 5 * time.Second

// Run ticks until ctx ends, waking at the next due firing or every
// LeaseTTL/3, whichever is sooner: the leader must renew before its lease
// lapses and a follower must notice when it does. Tick errors are logged,
// not returned, because a store hiccup should delay a firing, not end the
// scheduler. On the way out it releases the lease so a peer takes over at
// once. It returns nil when ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if err := s.Release(rctx); err != nil {
			s.log.Error("schedule: release lease on shutdown", "err", err)
		}
	}()
	for {
		if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("schedule: tick failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.opts.After(s.untilNext(s.clock.Now())):
		}
	}
}

// untilNext is how long Run may wait before the next tick.
func (s *Scheduler) untilNext(now time.Time) time.Duration {
	wait := s.opts.LeaseTTL / 3
	for _, j := range s.sortedJobs() {
		if next := j.Schedule.Next(now); !next.IsZero() && next.Sub(now) < wait {
			wait = next.Sub(now)
		}
	}
	return max(wait, time.Millisecond)
}
