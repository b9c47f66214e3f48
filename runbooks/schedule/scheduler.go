package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// LeaseKey is the store lease whose holder is the one replica that fires.
const LeaseKey = "scheduler"

// ErrUnknownJob is returned by RunOnce for a name no job was added under.
var ErrUnknownJob = errors.New("schedule: unknown job")

// Job is one recurring piece of work. Run gets the scheduled time (for
// RunOnce, the time of the request), so a job can name its output after the
// slot it fills rather than after when it happened to start.
type Job struct {
	Name     string
	Schedule Schedule
	Run      func(ctx context.Context, at time.Time) error
}

// Firing is one scheduled run a Tick started; Err is what the job returned.
type Firing struct {
	Job string
	At  time.Time
	Err error
}

// Options tune a Scheduler; zero values take the defaults.
type Options struct {
	// Replica names this process as the lease holder (required).
	Replica string
	// LeaseTTL is how long the scheduler lease lasts unrenewed (default 30 s);
	// Run renews it every LeaseTTL/3.
	LeaseTTL time.Duration
	// Grace is how old a missed firing may be and still run (default 1 h).
	Grace time.Duration
	// ClaimTTL is how long a firing's claim is kept (default Grace + 24 h). It
	// must outlast Grace, or a stale last-record could let a firing through twice.
	ClaimTTL time.Duration
	// After waits in Run (default time.After); tests pass one driven by the
	// fake clock.
	After func(time.Duration) <-chan time.Time
	// Logger receives skips, lease changes and job failures (default slog.Default()).
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 30 * time.Second
	}
	if o.Grace <= 0 {
		o.Grace = time.Hour
	}
	if o.ClaimTTL <= o.Grace {
		o.ClaimTTL = o.Grace + 24*time.Hour
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Scheduler fires jobs on their schedules from whichever replica leads.
type Scheduler struct {
	store state.Store
	clock runbooks.Clock
	opts  Options
	log   *slog.Logger

	mu   sync.Mutex // guards jobs
	jobs map[string]Job

	tickMu sync.Mutex // one Tick at a time; guards lease and leading
	lease  state.Lease
	leads  bool
}

// New returns a Scheduler with no jobs.
func New(store state.Store, clock runbooks.Clock, opts Options) *Scheduler {
	opts = opts.withDefaults()
	return &Scheduler{
		store: store,
		clock: clock,
		opts:  opts,
		log:   opts.Logger.With("replica", opts.Replica),
		jobs:  map[string]Job{},
	}
}

// Add registers a job. Names are store key segments, so they may not be
// empty or contain '/'.
func (s *Scheduler) Add(job Job) error {
	switch {
	case job.Name == "" || strings.Contains(job.Name, "/"):
		return fmt.Errorf("add job %q: name must be non-empty and without '/'", job.Name)
	case job.Schedule.IsZero():
		return fmt.Errorf("add job %q: %w", job.Name, errZeroSchedule)
	case job.Run == nil:
		return fmt.Errorf("add job %q: no Run function", job.Name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.jobs[job.Name]; dup {
		return fmt.Errorf("add job %q: already added", job.Name)
	}
	s.jobs[job.Name] = job
	return nil
}

// RunOnce runs a job now, on demand (`/patch digest`, the CLI). It needs no
// lease and claims nothing: asking twice means running twice.
func (s *Scheduler) RunOnce(ctx context.Context, name string) error {
	s.mu.Lock()
	job, ok := s.jobs[name]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("run job %q: %w", name, ErrUnknownJob)
	}
	if err := job.Run(ctx, s.clock.Now()); err != nil {
		return fmt.Errorf("run job %q on demand: %w", name, err)
	}
	return nil
}

// sortedJobs returns the jobs in name order, so firings are deterministic.
func (s *Scheduler) sortedJobs() []Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Job, 0, len(s.jobs))
	for _, j := range s.jobs {
		out = append(out, j)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}
