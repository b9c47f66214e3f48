package schedule

import (
	"context"
	"time"
)

// Before is s with every firing moved d earlier in elapsed time: the
// pre-cycle preflight fires preflight_before (48h) ahead of each patch
// cycle firing, so it follows the cycle's schedule, offsets and DST
// included, rather than an expression of its own that could drift from it.
// A d of 0 or less is s itself.
func (s Schedule) Before(d time.Duration) Schedule {
	s.lead = max(d, 0)
	return s
}

// Lead is how far Before moved the firings.
func (s Schedule) Lead() time.Duration { return s.lead }

// PreflightJob fires run lead ahead of each firing of cycle, passing the
// cycle firing it precedes; the scheduler's claim makes it fire once across
// replicas.
func PreflightJob(cycle Schedule, lead time.Duration, run func(ctx context.Context, cycleAt time.Time) error) Job {
	return Job{Name: "pre-cycle-preflight", Schedule: cycle.Before(lead), Run: func(ctx context.Context, at time.Time) error {
		return run(ctx, at.Add(lead))
	}}
}
