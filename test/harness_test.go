package test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/boltstore"
	"github.com/patchgate/patchgate/state/redisstore"
	"github.com/patchgate/patchgate/state/redisstore/redistest"
	"github.com/patchgate/patchgate/test/fakes"
)

// verifyAllStreams re-walks every audit chain in the store.
func verifyAllStreams(t *testing.T, st state.Store) {
	t.Helper()
	ctx := context.Background()
	streams, err := st.Streams(ctx, "audit/")
	if err != nil {
		t.Fatal(err)
	}
	if len(streams) == 0 {
		t.Fatal("no audit streams")
	}
	for _, s := range streams {
		v, err := st.Verify(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if !v.OK() {
			t.Errorf("%s broken at %d: %s", s, v.BrokenAt, v.Problem)
		}
	}
}

// driveTo runs a cycle (approving earlier stages as alice) until stage
// waits for approval.
func (h *harness) driveTo(ctx context.Context, id, stage string) *runbooks.Cycle {
	h.t.Helper()
	for range 60 {
		h.tickAll(ctx)
		c, err := h.engines[0].Get(ctx, id)
		if err != nil {
			h.t.Fatal(err)
		}
		i := c.Current()
		if i < 0 || c.Status != runbooks.StatusRunning {
			h.t.Fatalf("cycle %s is %s before reaching %s", id, c.Status, stage)
		}
		s := c.Stages[i]
		if s.Phase == runbooks.PhaseApproval {
			if s.Name == stage {
				return c
			}
			if _, err := h.engines[0].Decide(ctx, runbooks.Decision{Cycle: id, Stage: s.Name, Action: runbooks.Approve, Actor: alice, SeenRevision: c.Revision}); err != nil {
				h.t.Fatal(err)
			}
		}
		h.clock.Advance(time.Hour)
	}
	h.t.Fatalf("cycle %s never reached %s", id, stage)
	return nil
}

// recordedChanges is a runbooks.Changes that keeps what it was sent.
type recordedChanges struct {
	mu  sync.Mutex
	evs []runbooks.ChangeEvent
}

func (r *recordedChanges) Change(_ context.Context, ev runbooks.ChangeEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
	return nil
}

func (r *recordedChanges) all() []runbooks.ChangeEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]runbooks.ChangeEvent(nil), r.evs...)
}

// People of the test organisation.
const (
	requester = "U-REQ"
	alice     = "U-ALICE" // approves every tier
	bob       = "U-BOB"   // second production approver
	outsider  = "U-EVE"
)

var start = time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)

// testPipeline is the default pipeline with the test organisation's approvers.
func testPipeline() runbooks.Pipeline {
	p := runbooks.DefaultPipeline()
	for i := range p {
		p[i].Approvers = []string{alice}
		if p[i].Env == "production" {
			p[i].Approvers = []string{alice, bob, requester}
		}
	}
	return p
}

// backend opens one store kind for a test; all replicas share it.
type backend struct {
	name string
	open func(t testing.TB) state.Store
}

func backends() []backend {
	return []backend{
		{"bolt", func(t testing.TB) state.Store {
			st, err := boltstore.Open(t.TempDir() + "/state.db")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}},
		{"redis", func(t testing.TB) state.Store {
			sock := redistest.Start(t)
			st, err := redisstore.Open(context.Background(), redisstore.Options{Network: "unix", Addr: sock, Prefix: "pg-" + t.Name()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}},
	}
}

// harness is several engine replicas over one store and one simulated fleet.
type harness struct {
	t       testing.TB
	store   state.Store
	fleet   *sim.Fleet
	clock   *testkit.Clock
	chat    *fakes.Chat
	engines []*runbooks.Engine
}

// harnessOption adjusts what every replica is built with.
type harnessOption func(deps *runbooks.Deps, pipeline *runbooks.Pipeline)

func newHarness(t testing.TB, st state.Store, simCfg sim.Config, replicas int, opts ...harnessOption) *harness {
	t.Helper()
	h := &harness{t: t, store: st, clock: testkit.NewClock(start), chat: fakes.NewChat()}
	simCfg.Clock = h.clock
	fleet, err := sim.New(simCfg)
	if err != nil {
		t.Fatal(err)
	}
	h.fleet = fleet
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i := range replicas {
		deps := runbooks.Deps{Store: st, Clock: h.clock, Inventory: fleet, Sensors: fleet, Backups: fleet, Patcher: fleet,
			Health: fleet, Pager: fleet, Directory: fleet, Chat: h.chat, Log: log,
			Reporter: &reports.Dir{Path: t.TempDir(), Now: h.clock.Now}}
		pipeline := testPipeline()
		for _, o := range opts {
			o(&deps, &pipeline)
		}
		e, err := runbooks.New(runbooks.Config{Replica: fmt.Sprintf("replica-%d", i), Workers: 8, LeaseTTL: 30 * time.Second},
			deps, simCfg.Tenants, pipeline)
		if err != nil {
			t.Fatal(err)
		}
		h.engines = append(h.engines, e)
	}
	return h
}

// tickAll runs one reconcile tick on every replica at once.
func (h *harness) tickAll(ctx context.Context) {
	h.t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(h.engines))
	for i, e := range h.engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.Tick(ctx)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		h.t.Fatalf("tick: %v", err)
	}
}

// approvals lists who approves each waiting stage: alice everywhere, bob as
// production's second approver.
func approversFor(s *runbooks.Stage) []string {
	if s.MinApprovals >= 2 {
		return []string{alice, bob}
	}
	return []string{alice}
}

// approveWaiting clicks Approve for every waiting stage, the same click
// delivered to every replica at once (as Slack retries would), and checks
// that exactly one delivery was applied and the rest were duplicates.
func (h *harness) approveWaiting(ctx context.Context) int {
	h.t.Helper()
	cycles, err := h.engines[0].Active(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	applied := 0
	for _, c := range cycles {
		i := c.Current()
		if i < 0 || c.Status != runbooks.StatusRunning || c.Stages[i].Phase != runbooks.PhaseApproval {
			continue
		}
		s := c.Stages[i]
		for _, who := range approversFor(&s)[len(s.Approvals):] {
			fresh, err := h.engines[0].Get(ctx, c.ID)
			if err != nil {
				h.t.Fatal(err)
			}
			d := runbooks.Decision{Cycle: c.ID, Stage: s.Name, Action: runbooks.Approve, Actor: who,
				SeenRevision: fresh.Revision, InteractionID: fmt.Sprintf("click-%s-%s-%s", c.ID, s.Name, who)}
			outs := make([]runbooks.Outcome, len(h.engines))
			errs := make([]error, len(h.engines))
			var wg sync.WaitGroup
			for k, e := range h.engines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					outs[k], errs[k] = e.Decide(ctx, d)
				}()
			}
			wg.Wait()
			won := 0
			for k := range outs {
				if errs[k] != nil {
					h.t.Fatalf("approve %s %s as %s: %v", c.ID, s.Name, who, errs[k])
				}
				if !outs[k].Duplicate {
					won++
				}
			}
			if won != 1 {
				h.t.Fatalf("approve %s %s as %s: %d deliveries applied, want exactly 1", c.ID, s.Name, who, won)
			}
			applied++
		}
	}
	return applied
}

// runToEnd alternates ticks, approvals and an hour of clock until no cycle
// is active.
func (h *harness) runToEnd(ctx context.Context, maxRounds int) {
	h.t.Helper()
	for round := 0; round < maxRounds; round++ {
		h.tickAll(ctx)
		h.approveWaiting(ctx)
		h.tickAll(ctx)
		active, err := h.engines[0].Active(ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		if len(active) == 0 {
			return
		}
		h.clock.Advance(time.Hour)
	}
	active, _ := h.engines[0].Active(ctx)
	for _, c := range active[:min(3, len(active))] {
		b, _ := json.MarshalIndent(c, "", " ")
		h.t.Logf("still active: %s", b)
	}
	h.t.Fatalf("%d cycles still active after %d rounds", len(active), maxRounds)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
