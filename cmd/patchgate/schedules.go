package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/schedule"
	"github.com/patchgate/patchgate/state"
)

// namedJob is a job from the schedules section; an empty expression
// leaves it unscheduled (it still runs on demand).
type namedJob struct {
	name, field, expr string
	run               func(ctx context.Context, at time.Time) error
}

// scheduler builds the recurring jobs: the patch cycle (every tenant's
// cycle starts at the configured time, waits in preflight for approval) and
// the extra jobs (SAML check, drift report, digests), all through one
// Scheduler: lease, one claim per (job, time), catch-up within
// schedules.grace.
func scheduler(cfg *config.Config, st state.Store, e *runbooks.Engine, clock runbooks.Clock, log *slog.Logger, extra ...namedJob) (*schedule.Scheduler, error) {
	spec, err := schedule.Parse(cfg.Schedules.PatchCycle, cfg.Schedules.Location)
	if err != nil {
		return nil, fmt.Errorf("schedules.patch_cycle: %w", err)
	}
	if clock == nil {
		clock = runbooks.SystemClock
	}
	s := schedule.New(st, clock, schedule.Options{Replica: e.Replica(), Logger: log, Grace: cfg.Schedules.Grace})
	if err := s.Add(schedule.Job{Name: "patch-cycle", Schedule: spec, Run: patchCycleJob(e, log)}); err != nil {
		return nil, err
	}
	if lead := cfg.Schedules.PreflightBefore; lead > 0 {
		if err := s.Add(schedule.PreflightJob(spec, lead, e.ScheduledPreflight)); err != nil {
			return nil, err
		}
	}
	for _, j := range extra {
		if j.expr == "" {
			continue
		}
		spec, err := schedule.Parse(j.expr, cfg.Schedules.Location)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", j.field, err)
		}
		if err := s.Add(schedule.Job{Name: j.name, Schedule: spec, Run: j.run}); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// patchCycleJob starts a cycle for every tenant, requested by patchgate
// itself (so every human approver may approve it, four eyes included). A
// tenant whose previous cycle is still active is skipped and logged, not an
// error: the schedule must not fail because one credit union is mid-cycle.
func patchCycleJob(e *runbooks.Engine, log *slog.Logger) func(ctx context.Context, at time.Time) error {
	return func(ctx context.Context, at time.Time) error {
		var errs []error
		for _, t := range e.Tenants() {
			c, err := e.Start(ctx, t.Name, runbooks.ActorSystem)
			switch {
			case runbooks.ErrorCode(err) == runbooks.CodeConflict:
				log.Warn("scheduled cycle skipped", "tenant", t.Name, "reason", runbooks.ErrorMessage(err))
			case err != nil:
				errs = append(errs, fmt.Errorf("start %s: %w", t.Name, err))
			default:
				log.Info("scheduled cycle started", "tenant", t.Name, "cycle", c.ID, "scheduled", at)
			}
		}
		return errors.Join(errs...)
	}
}
