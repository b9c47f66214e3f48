package bot

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// engineRun is the real engine on a simulated fleet with notifiers as its
// chat, all replicas sharing one store and one recording Slack.
type engineRun struct {
	t         *testing.T
	api       *recAPI
	store     state.Store
	clock     *testkit.Clock
	engines   []*runbooks.Engine
	notifiers []*Notifier
	tenant    runbooks.Tenant
	logs      *testkit.SyncBuffer
}

const (
	engAlice = "U-ALICE"
	engBob   = "U-BOB"
	engReq   = "U-REQ"
)

// engineRunOptions shape an engineRun.
type engineRunOptions struct {
	replicas       int
	hostsPerTarget int // the tenant has ten targets' worth of hosts
	// faults, if set, breaks the fleet; it is given the tenant's hosts.
	faults func(hosts []runbooks.Host) sim.Faults
	// tape, if set, is every engine's chat instead of notifiers.
	tape *chatTape
	// lockstep makes every CycleChanged wait until the notifier sent all
	// it had: nothing coalesces by timing, so the calls counted are the
	// most the notifier ever makes.
	lockstep bool
}

// lockstepChat hands a change to a notifier and waits until it is sent.
type lockstepChat struct {
	t *testing.T
	n *Notifier
}

func (l lockstepChat) CycleChanged(ctx context.Context, c *runbooks.Cycle, evs []runbooks.Event) error {
	err := l.n.CycleChanged(ctx, c, evs)
	waitIdle(l.t, l.n)
	return err
}

func newEngineRun(t *testing.T, o engineRunOptions) *engineRun {
	t.Helper()
	r := &engineRun{t: t, api: newRecAPI(t), store: openBolt(t), clock: testkit.NewClock(fxStart), logs: &testkit.SyncBuffer{}}
	r.tenant = sim.GenerateTenants(1, 11)[0]
	cfg := sim.Config{Seed: 11, Tenants: []runbooks.Tenant{r.tenant}, HostsPerTarget: o.hostsPerTarget,
		Clock: r.clock, OpDuration: 10 * time.Minute}
	if o.faults != nil {
		healthy, err := sim.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var hosts []runbooks.Host
		for _, env := range r.tenant.Environments {
			hs, err := healthy.Hosts(context.Background(), r.tenant, env)
			if err != nil {
				t.Fatal(err)
			}
			hosts = append(hosts, hs...)
		}
		cfg.Faults = o.faults(hosts)
	}
	fleet, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	reportDir := t.TempDir()
	pipeline := runbooks.DefaultPipeline()
	for i := range pipeline {
		pipeline[i].Approvers = []string{engAlice, engBob}
	}
	for i := range o.replicas {
		var chat runbooks.Chat = o.tape
		if o.tape == nil {
			n := r.notifier(fmt.Sprintf("notifier-%d", i))
			startNotifier(t, n)
			r.notifiers = append(r.notifiers, n)
			chat = n
			if o.lockstep {
				chat = lockstepChat{t: t, n: n}
			}
		}
		e, err := runbooks.New(runbooks.Config{Replica: fmt.Sprintf("engine-%d", i)},
			runbooks.Deps{Store: r.store, Clock: r.clock, Inventory: fleet, Sensors: fleet, Backups: fleet,
				Patcher: fleet, Health: fleet, Pager: fleet, Directory: fleet, Chat: chat, Log: quietLog(nil),
				Reporter: &reports.Dir{Path: reportDir, Now: r.clock.Now}},
			[]runbooks.Tenant{r.tenant}, pipeline)
		if err != nil {
			t.Fatal(err)
		}
		r.engines = append(r.engines, e)
	}
	return r
}

// notifier is a notifier of this run's Slack and store; it is not started.
func (r *engineRun) notifier(replica string) *Notifier {
	return NewNotifier(r.api, r.store, NotifierOptions{
		Channel: "C-CYCLES", Tenants: TenantNames([]runbooks.Tenant{r.tenant}),
		UpdateInterval: time.Millisecond, Clock: r.clock, Log: quietLog(r.logs), Replica: replica,
	})
}

// chatTape records what an engine hands to chat, to replay it.
type chatTape struct {
	mu    sync.Mutex
	calls []tapeCall
}

type tapeCall struct {
	c   *runbooks.Cycle
	evs []runbooks.Event
}

func (t *chatTape) CycleChanged(_ context.Context, c *runbooks.Cycle, evs []runbooks.Event) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls = append(t.calls, tapeCall{c: c.Clone(), evs: slices.Clone(evs)})
	return nil
}

// settle lets every notifier send what it has.
func (r *engineRun) settle() { waitIdle(r.t, r.notifiers...) }

// tick runs one reconcile tick on every replica at once.
func (r *engineRun) tick(ctx context.Context) {
	var wg sync.WaitGroup
	for _, e := range r.engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.Tick(ctx); err != nil {
				r.t.Errorf("tick: %v", err)
			}
		}()
	}
	wg.Wait()
}

// runToEnd drives the cycle to its end: ticks, approvals by alice (and bob
// for production), a minute of clock per round (an operation takes ten),
// and the soak skipped over. Every Slack call goes out between steps, so
// nothing coalesces by timing: the count is the worst case.
func (r *engineRun) runToEnd(ctx context.Context, id string, onRound func(c *runbooks.Cycle)) *runbooks.Cycle {
	for round := 0; round < 400; round++ {
		r.tick(ctx)
		r.settle()
		c, err := r.engines[0].Get(ctx, id)
		if err != nil {
			r.t.Fatal(err)
		}
		if onRound != nil {
			onRound(c)
		}
		if c.Status.Terminal() {
			r.tick(ctx) // archive
			r.settle()
			return c
		}
		if f := failedStage(c); f != nil && c.Status == runbooks.StatusHalted {
			// Go on without the hosts at fault, or retry when none were named.
			a := runbooks.Retry
			if f.Failure != nil && len(f.Failure.Findings) > 0 {
				a = runbooks.Exclude
			}
			if _, err := r.engines[round%len(r.engines)].Decide(ctx, runbooks.Decision{Cycle: id, Stage: f.Name, Action: a,
				Actor: engAlice, SeenRevision: c.Revision, InteractionID: fmt.Sprintf("click-%s-%s-%d", f.Name, a, round)}); err != nil {
				r.t.Fatalf("%s %s: %v", a, f.Name, err)
			}
			r.settle()
			continue
		}
		if i := c.Current(); i >= 0 && c.Status == runbooks.StatusRunning {
			s := c.Stages[i]
			switch s.Phase {
			case runbooks.PhaseApproval:
				who := []string{engAlice, engBob}[len(s.Approvals)]
				e := r.engines[round%len(r.engines)]
				if _, err := e.Decide(ctx, runbooks.Decision{Cycle: id, Stage: s.Name, Action: runbooks.Approve,
					Actor: who, SeenRevision: c.Revision, InteractionID: fmt.Sprintf("click-%s-%s", s.Name, who)}); err != nil {
					r.t.Fatalf("approve %s as %s: %v", s.Name, who, err)
				}
				r.settle()
				continue
			case runbooks.PhaseSoak:
				r.clock.Advance(s.SoakUntil.Sub(r.clock.Now()))
				continue
			}
		}
		r.clock.Advance(time.Minute)
	}
	r.t.Fatal("cycle did not finish in 400 rounds")
	return nil
}

// TestNotifierThousandHostCycle runs a 1,000-host cycle through the real
// engine and counts the Web API calls it costs: in lockstep (every change
// sent before the engine goes on, so nothing coalesces: the most there can
// be) and free-running (the notifier keeps up as it can, as in service).
//
// A 10-host cycle in lockstep must cost exactly as much: calls follow
// stages, not hosts.
func TestNotifierThousandHostCycle(t *testing.T) {
	counts := map[string]int{}
	for _, run := range []struct {
		name           string
		lockstep       bool
		hostsPerTarget int
	}{{"lockstep", true, 100}, {"free-running", false, 100}, {"lockstep-10-hosts", true, 1}} {
		t.Run(run.name, func(t *testing.T) {
			ctx := context.Background()
			r := newEngineRun(t, engineRunOptions{replicas: 1, hostsPerTarget: run.hostsPerTarget, lockstep: run.lockstep})
			c, err := r.engines[0].Start(ctx, r.tenant.Name, engReq)
			if err != nil {
				t.Fatal(err)
			}
			polls := 0
			final := r.runToEnd(ctx, c.ID, func(c *runbooks.Cycle) {
				if i := c.Current(); i >= 0 && (c.Stages[i].Phase == runbooks.PhasePatch || c.Stages[i].Phase == runbooks.PhaseBackup) {
					polls++
				}
			})
			if final.Status != runbooks.StatusCompleted || final.Scope.Hosts != 10*run.hostsPerTarget {
				t.Fatalf("cycle ended %s with %d hosts, want completed with %d", final.Status, final.Scope.Hosts, 10*run.hostsPerTarget)
			}
			calls := r.api.Calls("")
			counts[run.name] = len(calls)
			byMethod := map[string]int{}
			for _, c := range calls {
				byMethod[c.Method]++
			}
			stages := len(final.Stages)
			budget := 5*stages + 10
			t.Logf("%s-host cycle, %d stages, %d events, %d operation polls: %d Web API calls (budget %d): %s; %d thread messages, %d root message",
				num(final.Scope.Hosts), stages, final.Revision, polls, len(calls), budget, fmtCounts(byMethod), len(r.api.thread()), len(r.api.roots()))
			if len(calls) > budget {
				for _, c := range calls {
					t.Logf("%s thread=%v %s", c.Method, c.ThreadTS != "", clip(c.Text, 140))
				}
				t.Errorf("%d Web API calls, budget %d (5 per stage + 10)", len(calls), budget)
			}
			if n := len(r.api.roots()); n != 1 {
				t.Errorf("%d root messages, want 1", n)
			}
			if rec := readChat(t, r.store, c.ID); rec.Posted != final.Revision {
				t.Errorf("thread has dealt with events up to %d, the cycle has %d", rec.Posted, final.Revision)
			}
			last := r.api.Calls("chat.update")
			if len(last) == 0 || !strings.Contains(blocksText(t, last[len(last)-1].Blocks), "All stages done") {
				t.Errorf("the root message does not end completed")
			}
			up := r.api.uploads()
			var names []string
			for _, u := range up {
				names = append(names, u.File)
				if u.ThreadTS == "" || len(u.Content) == 0 {
					t.Errorf("upload %s: thread %q, %d bytes", u.File, u.ThreadTS, len(u.Content))
				}
			}
			if want := []string{filepath.Base(final.Report.Location), c.ID + "-report-hosts.csv",
				c.ID + "-report-approvals.csv", c.ID + "-report-events.csv"}; !slices.Equal(names, want) {
				t.Errorf("uploads %v, want the report PDF and its CSVs %v", names, want)
			}
		})
	}
	if counts["lockstep"] != counts["lockstep-10-hosts"] {
		t.Errorf("1,000 hosts cost %d calls, 10 hosts %d: calls must not grow with hosts",
			counts["lockstep"], counts["lockstep-10-hosts"])
	}
}

func fmtCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
