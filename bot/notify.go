package bot

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/patchgate/patchgate/internal/ctxsleep"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// NotifierOptions configure a Notifier.
type NotifierOptions struct {
	// Channel is the ID of the channel cycles are posted in.
	Channel string
	// Tenants maps tenant names to the names people know them by
	// (TenantNames builds it from the configuration); a tenant missing
	// from it is shown by its name.
	Tenants map[string]string
	// UpdateInterval is the least time between two chat.update calls for
	// one message (default 3 s).
	UpdateInterval time.Duration
	// Clock tells the time shown in messages (default the wall clock).
	Clock runbooks.Clock
	Log   *slog.Logger
	// ReadReportFile reads one of the report's files (Report.Files) that
	// the archive kept on this machine, to attach it to the thread when the
	// report is done (default: the local file is streamed to Slack from
	// disk, never read whole). Files in an object store are posted as links
	// instead.
	ReadReportFile func(ctx context.Context, f runbooks.ArchivedFile) ([]byte, error)
	// Replica names this notifier in the claims it stores (default: host,
	// process and a random suffix).
	Replica string
	// DrainTimeout bounds how long Run goes on posting after its context
	// ends (default 5 s).
	DrainTimeout time.Duration
}

// TenantNames maps each tenant's name to its display name, for
// NotifierOptions.Tenants.
func TenantNames(ts []runbooks.Tenant) map[string]string {
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		if t.Display != "" {
			m[t.Name] = t.Display
		}
	}
	return m
}

// Notifier shows cycles in Slack: one root message per cycle in the cycles
// channel, updated in place, with failures, gate results, incidents and
// the report in its thread. It implements runbooks.Chat.
//
// CycleChanged only records what changed and returns; Run does the
// posting. Several replicas may share one store: the record chat/<cycle>
// makes exactly one of them post the root message and each event reach the
// thread once, however often and wherever it is handed over.
type Notifier struct {
	api      API
	store    state.Store
	opts     NotifierOptions
	log      *slog.Logger
	poster   *poster
	replica  string
	claimTTL time.Duration // a claim older than this is taken to be a crashed replica's
	pollWait time.Duration // how often a replica waiting on another's claim looks again

	mu      sync.Mutex
	cycles  map[string]*cycleWork
	remeds  map[string]*runbooks.Remediation // newest seen, for the card's lines
	work    context.Context                  // set while Run runs
	running bool

	// workers counts the per-cycle goroutines; Run returns only once
	// every one it started has ended.
	workers sync.WaitGroup
	// settled is signalled whenever a worker ends or the poster's queues
	// empty, so the drain wakes to look at idle rather than polling it.
	settled chan struct{}
}

var _ runbooks.Chat = (*Notifier)(nil)

// cycleWork is what a notifier knows and owes about one cycle.
type cycleWork struct {
	id      string
	latest  *runbooks.Cycle          // the newest cycle seen (highest store version)
	pending map[int64]runbooks.Event // handed over, not yet in the thread
	dirty   bool                     // changed since the worker last looked
	busy    bool                     // a worker goroutine serves it
	closed  *closeNote               // who rejected the cycle, if seen

	shownKey string // updateKey of the root message as this replica last rendered it

	ref msgRef // the root message, once known; owned by the worker goroutine
}

// NewNotifier returns a notifier posting through api and keeping its
// message references in store.
func NewNotifier(api API, store state.Store, opts NotifierOptions) *Notifier {
	if opts.UpdateInterval <= 0 {
		opts.UpdateInterval = 3 * time.Second
	}
	if opts.Clock == nil {
		opts.Clock = runbooks.SystemClock
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = 5 * time.Second
	}
	if opts.Replica == "" {
		opts.Replica = runbooks.ReplicaID("")
	}
	log := opts.Log.With("component", "notifier")
	n := &Notifier{
		api: api, store: store, opts: opts, log: log, replica: opts.Replica,
		poster:   newPoster(log, opts.UpdateInterval),
		claimTTL: 2 * time.Minute, pollWait: 200 * time.Millisecond,
		cycles: map[string]*cycleWork{}, settled: make(chan struct{}, 1),
	}
	n.poster.settled = n.settle
	return n
}

// CycleChanged records the cycle as it now is and the events since the
// last call, and returns at once; Run posts them. Events already seen are
// ignored, so a redelivery costs nothing.
func (n *Notifier) CycleChanged(_ context.Context, c *runbooks.Cycle, events []runbooks.Event) error {
	if c == nil || c.ID == "" {
		return errors.New("notifier: a cycle without an ID")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	w := n.cycles[c.ID]
	if w == nil {
		w = &cycleWork{id: c.ID, pending: map[int64]runbooks.Event{}}
		n.cycles[c.ID] = w
	}
	if w.latest == nil || c.Version >= w.latest.Version {
		w.latest = c.Clone()
	}
	for _, ev := range events {
		w.pending[ev.Seq] = ev
		if ev.Type == runbooks.EvCycleRejected {
			w.closed = &closeNote{By: ev.Actor, Stage: ev.Stage, Reason: ev.Detail}
		}
	}
	w.dirty = true
	n.serveLocked(w)
	return nil
}

// Run posts until ctx ends, then for up to DrainTimeout goes on sending
// what is queued, without waiting for update intervals.
func (n *Notifier) Run(ctx context.Context) error {
	if n.opts.Channel == "" {
		return errors.New("notifier: no channel to post cycles in")
	}
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	n.mu.Lock()
	if n.running {
		n.mu.Unlock()
		return errors.New("notifier: already running")
	}
	n.running, n.work = true, work
	n.poster.start(work)
	for _, w := range n.cycles {
		n.serveLocked(w)
	}
	n.mu.Unlock()

	<-ctx.Done()
	n.poster.drain()
	if !n.drain(n.opts.DrainTimeout) {
		n.log.Warn("stopped with Slack messages unsent", "after", n.opts.DrainTimeout.String())
	}
	n.mu.Lock()
	n.work = nil // what arrives from now on waits for the next Run
	n.mu.Unlock()
	cancel() // workers return as soon as they see it
	n.workers.Wait()
	n.poster.stop()
	n.mu.Lock()
	n.running = false
	n.mu.Unlock()
	return nil
}

// idle reports whether no worker runs and nothing waits to be sent.
func (n *Notifier) idle() bool {
	n.mu.Lock()
	for _, w := range n.cycles {
		if w.busy || (w.dirty && n.work != nil) {
			n.mu.Unlock()
			return false
		}
	}
	n.mu.Unlock()
	return n.poster.idle()
}

// settle wakes a drain waiting for the notifier to become idle.
func (n *Notifier) settle() {
	select {
	case n.settled <- struct{}{}:
	default:
	}
}

// drain waits up to d for everything queued to be sent, looking again
// each time a worker ends or a channel's queue empties. Workers may still
// start meanwhile (a step the engine finishes while shutting down), which
// is why this waits for idle rather than on the WaitGroup.
func (n *Notifier) drain(d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for !n.idle() {
		select {
		case <-n.settled:
		case <-timer.C:
			return n.idle()
		}
	}
	return true
}

// serveLocked starts w's worker if Run runs and none serves it.
func (n *Notifier) serveLocked(w *cycleWork) {
	if n.work == nil || w.busy || !w.dirty {
		return
	}
	w.busy = true
	n.workers.Add(1)
	go func(ctx context.Context) {
		defer n.workers.Done()
		defer n.settle()
		n.serve(ctx, w)
	}(n.work)
}

// serve brings a cycle's messages up to date until nothing new arrives. A
// failure (Slack refusing a message, the store unreachable) is tried again
// a few times with backoff, then left for the cycle's next change.
func (n *Notifier) serve(ctx context.Context, w *cycleWork) {
	failures := 0
	for {
		n.mu.Lock()
		if !w.dirty || ctx.Err() != nil {
			w.busy = false
			if w.latest != nil && w.latest.Status.Terminal() && len(w.pending) == 0 && !w.dirty {
				delete(n.cycles, w.id) // nothing more will happen to it
			}
			n.mu.Unlock()
			return
		}
		w.dirty = false
		c := w.latest
		evs := make([]runbooks.Event, 0, len(w.pending))
		for _, ev := range w.pending {
			evs = append(evs, ev)
		}
		n.mu.Unlock()
		slices.SortFunc(evs, func(a, b runbooks.Event) int { return int(a.Seq - b.Seq) })

		err := n.bringUpToDate(ctx, w, c, evs)
		if err == nil || ctx.Err() != nil {
			failures = 0
			continue
		}
		failures++
		if failures >= maxServeFailures {
			n.log.Error("could not show cycle in Slack; its next change tries again",
				"cycle", c.ID, "tenant", c.Tenant, "attempts", failures, "err", safeErr(err))
			failures = 0
			continue
		}
		n.log.Warn("show cycle in Slack; trying again", "cycle", c.ID, "tenant", c.Tenant,
			"attempt", failures, "err", safeErr(err))
		n.mu.Lock()
		w.dirty = true
		n.mu.Unlock()
		if ctxsleep.Sleep(ctx, n.poster.retry.backoff(failures)) != nil {
			continue // the loop head sees ctx ended
		}
	}
}

// maxServeFailures is how many times in a row a cycle's update is tried
// before it waits for the cycle's next change.
const maxServeFailures = 5

// bringUpToDate makes sure the root message exists, posts the thread
// message new events call for, and queues an update of the root message
// if what it shows changed.
func (n *Notifier) bringUpToDate(ctx context.Context, w *cycleWork, c *runbooks.Cycle, evs []runbooks.Event) error {
	created, err := n.ensureRoot(ctx, w, c)
	if err != nil {
		return err
	}
	if len(evs) > 0 {
		posted, err := n.postThread(ctx, w.ref, c, evs)
		if err != nil {
			return err
		}
		n.mu.Lock()
		for seq := range w.pending {
			if seq <= posted {
				delete(w.pending, seq)
			}
		}
		n.mu.Unlock()
	}
	if created {
		return nil
	}
	n.mu.Lock()
	stale := updateKey(c) != w.shownKey
	n.mu.Unlock()
	if stale && !passing(c) {
		n.queueUpdate(w)
	}
	return nil
}

// view is what the root message shows about w besides the cycle.
func (n *Notifier) view(c *runbooks.Cycle, closed *closeNote) rootView {
	name := n.opts.Tenants[c.Tenant]
	if name == "" {
		name = c.Tenant
	}
	v := rootView{Tenant: name, Now: n.opts.Clock.Now(), Closed: closed}
	if runbooks.IsRemediationID(c.ID) {
		v.Remediation = n.remediation(c.ID)
	}
	return v
}

// snapshot returns w's newest cycle and what is known of its closing.
func (n *Notifier) snapshot(w *cycleWork) (*runbooks.Cycle, *closeNote) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return w.latest, w.closed
}
