package schedule

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/state"
)

// Tick fires every job firing due by the clock's now, if this replica holds
// (or can take) the scheduler lease; otherwise it fires nothing. Run calls
// it; tests drive it directly with a fake clock. A job's error is reported
// in its Firing, not as Tick's error: a failing digest must not stop the
// patch cycle behind it.
func (s *Scheduler) Tick(ctx context.Context) ([]Firing, error) {
	s.tickMu.Lock()
	defer s.tickMu.Unlock()
	leads, err := s.lead(ctx)
	if err != nil || !leads {
		return nil, err
	}
	now := s.clock.Now()
	var fired []Firing
	for _, job := range s.sortedJobs() {
		f, err := s.tickJob(ctx, job, now)
		fired = append(fired, f...)
		if errors.Is(err, state.ErrLeaseLost) {
			// Another replica leads now; its claims keep what we fired from
			// firing again, so stepping down is all there is to do.
			s.log.Warn("schedule: lost the scheduler lease mid-tick", "job", job.Name)
			s.leads = false
			return fired, nil
		}
		if err != nil {
			return fired, err
		}
	}
	return fired, nil
}

// tickJob fires the job's firings after its last considered time up to now.
// Firings older than Grace are skipped with one log line; each one inside it
// runs only if this replica wins its claim.
func (s *Scheduler) tickJob(ctx context.Context, job Job, now time.Time) ([]Firing, error) {
	last, version, err := s.loadLast(ctx, job.Name, now)
	if err != nil {
		return nil, err
	}
	cutoff := now.Add(-s.opts.Grace)
	at := job.Schedule.Next(last)
	if !at.IsZero() && at.Before(cutoff) {
		s.log.Warn("schedule: skipping firings missed by more than the grace window",
			"job", job.Name, "first_missed", at, "grace", s.opts.Grace)
		at = job.Schedule.Next(cutoff.Add(-time.Nanosecond))
	}
	var fired []Firing
	for ; !at.IsZero() && !at.After(now); at = job.Schedule.Next(at) {
		won, err := s.store.Claim(ctx, claimKey(job.Name, at), s.opts.ClaimTTL)
		if err != nil {
			return fired, fmt.Errorf("claim %s firing at %s: %w", job.Name, at.Format(time.RFC3339), err)
		}
		if !won {
			s.log.Info("schedule: firing already claimed", "job", job.Name, "at", at)
			continue
		}
		err = job.Run(ctx, at)
		if err != nil {
			s.log.Error("schedule: job failed", "job", job.Name, "at", at, "err", err)
		}
		fired = append(fired, Firing{Job: job.Name, At: at, Err: err})
	}
	if now.After(last) {
		return fired, s.saveLast(ctx, job.Name, now, version)
	}
	return fired, nil
}
