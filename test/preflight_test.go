package test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/schedule"
	"github.com/patchgate/patchgate/state"
)

// writeCounter is a store that counts every write by method and key, so a
// dry run can be shown to write nothing but its audit event.
type writeCounter struct {
	state.Store
	mu     sync.Mutex
	writes []string
}

func (w *writeCounter) note(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, s)
}

func (w *writeCounter) reset() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.writes
	w.writes = nil
	return out
}

func (w *writeCounter) Create(ctx context.Context, k string, v []byte) (state.Record, error) {
	w.note("Create " + k)
	return w.Store.Create(ctx, k, v)
}
func (w *writeCounter) Update(ctx context.Context, k string, v []byte, ver int64) (state.Record, error) {
	w.note("Update " + k)
	return w.Store.Update(ctx, k, v, ver)
}
func (w *writeCounter) UpdateFenced(ctx context.Context, l state.Lease, k string, v []byte, ver int64) (state.Record, error) {
	w.note("UpdateFenced " + k)
	return w.Store.UpdateFenced(ctx, l, k, v, ver)
}
func (w *writeCounter) Delete(ctx context.Context, k string, ver int64) error {
	w.note("Delete " + k)
	return w.Store.Delete(ctx, k, ver)
}
func (w *writeCounter) Claim(ctx context.Context, k string, ttl time.Duration) (bool, error) {
	w.note("Claim " + k)
	return w.Store.Claim(ctx, k, ttl)
}
func (w *writeCounter) AcquireLease(ctx context.Context, k, holder string, ttl time.Duration) (state.Lease, error) {
	w.note("AcquireLease " + k)
	return w.Store.AcquireLease(ctx, k, holder, ttl)
}
func (w *writeCounter) Append(ctx context.Context, s string, d []byte) (state.Entry, error) {
	w.note("Append " + s)
	return w.Store.Append(ctx, s, d)
}
func (w *writeCounter) AppendAt(ctx context.Context, s string, seq int64, d []byte) (state.Entry, error) {
	w.note("AppendAt " + s)
	return w.Store.AppendAt(ctx, s, seq, d)
}

// countingChanges is a change platform that counts calls; a dry run must
// make none that change it.
type countingChanges struct {
	mu      sync.Mutex
	changes int
}

func (c *countingChanges) Platform() string { return "servicenow" }
func (c *countingChanges) bump() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changes++
}
func (c *countingChanges) Create(context.Context, runbooks.ChangeSpec) (runbooks.ChangeStatus, error) {
	c.bump()
	return runbooks.ChangeStatus{ID: "x", Number: "CHG1"}, nil
}
func (c *countingChanges) Transition(context.Context, string, runbooks.ChangeKind, runbooks.ChangeState, string) (runbooks.ChangeStatus, error) {
	c.bump()
	return runbooks.ChangeStatus{}, nil
}
func (c *countingChanges) Close(context.Context, string, runbooks.ChangeOutcome) (runbooks.ChangeStatus, error) {
	c.bump()
	return runbooks.ChangeStatus{}, nil
}
func (c *countingChanges) Get(context.Context, string) (runbooks.ChangeStatus, error) {
	return runbooks.ChangeStatus{}, nil
}

// preflightHarness is one tenant with an unmanaged nonprod host and a RHEL
// production host whose sensor would break, production in a Sunday window
// in Chicago, and change records on.
func preflightHarness(t *testing.T, st state.Store, cr runbooks.ChangeRecords) (*harness, string, string) {
	t.Helper()
	tn := gateTenant().Name
	unmanaged := hostName(tn, "nonprod", "web-01")
	kernel := hostName(tn, "production", "app-01")
	h := newHarness(t, st, sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{gateTenant()}, HostsPerTarget: 1,
		Faults: sim.Faults{Unmanaged: map[string]string{unmanaged: "ConnectionLost"}, KernelMismatch: []string{kernel}}}, 3,
		withWindow("production", "SUN 02:00-06:00 America/Chicago", time.Hour),
		func(d *runbooks.Deps, _ *runbooks.Pipeline) { d.ChangeRecords = cr })
	return h, unmanaged, kernel
}

// TestPreflightDryRunOpensNoCycleAndChangesNothing: a preflight reports the
// unmanaged host, the sensor that would break, production's window opening
// and the freeze over it, with sources; it opens no cycle, sends no
// backup, patch, page or change record, and its only store write is its
// audit event.
func TestPreflightDryRunOpensNoCycleAndChangesNothing(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			st := &writeCounter{Store: b.open(t)}
			cr := &countingChanges{}
			h, unmanaged, kernel := preflightHarness(t, st, cr)
			tn := gateTenant().Name
			// 2026-11-22 02:00 UTC is Saturday night in Chicago: the window
			// opens next at Sunday 02:00 CST (08:00 UTC); a freeze covers it.
			if _, err := h.engines[0].Freeze(ctx, runbooks.FreezeRequest{Tenant: tn, Until: start.Add(12 * time.Hour),
				Reason: "month-end processing", Actor: alice}); err != nil {
				t.Fatal(err)
			}
			st.reset()
			before := h.fleet.Stats()

			r, err := h.engines[1].Preflight(ctx, tn, requester)
			if err != nil {
				t.Fatal(err)
			}
			if w := st.reset(); len(w) != 1 || w[0] != "Append "+runbooks.PreflightStream(tn) {
				t.Fatalf("store writes %v, want only the preflight's audit event", w)
			}
			after := h.fleet.Stats()
			if after.Backups.Starts != before.Backups.Starts || after.Patches.Starts != before.Patches.Starts || after.PageTriggers != before.PageTriggers {
				t.Fatalf("a dry run sent %d backups, %d patches, %d pages", after.Backups.Starts-before.Backups.Starts,
					after.Patches.Starts-before.Patches.Starts, after.PageTriggers-before.PageTriggers)
			}
			if cr.changes != 0 {
				t.Fatalf("a dry run made %d change record calls", cr.changes)
			}
			if active, err := h.engines[0].Active(ctx); err != nil || len(active) != 0 {
				t.Fatalf("active cycles %d, %v: a dry run opens none", len(active), err)
			}

			if r.Ready() || r.Hosts == 0 {
				t.Fatalf("report ready=%v hosts=%d, want not ready", r.Ready(), r.Hosts)
			}
			want := map[string]string{
				"inventory":             runbooks.PreflightFail,
				"sensors (production)":  runbooks.PreflightFail,
				"sensors (nonprod)":     runbooks.PreflightPass,
				"health (production)":   runbooks.PreflightPass,
				"window (production)":   runbooks.PreflightInfo,
				"freeze":                runbooks.PreflightFail,
				"cycle":                 runbooks.PreflightPass,
				"change record":         runbooks.PreflightInfo,
				"baseline (production)": runbooks.PreflightUnknown, // the sim has no read-only baseline check
			}
			got := map[string]runbooks.PreflightCheck{}
			for _, c := range r.Checks {
				got[c.Label()] = c
			}
			for label, status := range want {
				if got[label].Status != status {
					t.Errorf("check %s: %q (%s), want %s", label, got[label].Status, got[label].Summary, status)
				}
			}
			if s := got["inventory"].Sources; len(s) == 0 || s[0] == "" {
				t.Errorf("inventory names no source")
			}
			if s := got["window (production)"].Summary; !strings.Contains(s, "opens Sun 2026-11-22 02:00 CST (2026-11-22 08:00 UTC)") {
				t.Errorf("window: %s", s)
			}
			if s := got["freeze"].Summary; !strings.Contains(s, "production's window opening") || !strings.Contains(s, "month-end processing") {
				t.Errorf("freeze: %s", s)
			}
			if names := findingNames(r.NeedPerson); len(names) != 2 || names[0] != unmanaged || names[1] != kernel {
				t.Errorf("need a person: %v, want %s and %s", names, unmanaged, kernel)
			}
			text := r.Text()
			for _, w := range []string{"NOT ready", "no cycle was opened", unmanaged, kernel, "[UNKNOWN] baseline (production)"} {
				if !strings.Contains(text, w) {
					t.Errorf("text report lacks %q:\n%s", w, text)
				}
			}
			evs, err := h.engines[2].PreflightEvents(ctx, tn)
			if err != nil || len(evs) != 1 || evs[0].Type != runbooks.EvPreflight || evs[0].Actor != requester || evs[0].Data["ready"] != "false" {
				t.Fatalf("preflight audit %+v, %v", evs, err)
			}
			if v, err := h.store.Verify(ctx, runbooks.PreflightStream(tn)); err != nil || !v.OK() {
				t.Fatalf("preflight stream verify %+v, %v", v, err)
			}
		})
	}
}

// TestPreflightDryRunScheduledOnceAcrossReplicas: three replicas' schedulers
// on one Redis fire the pre-cycle preflight once, 48 h before the 4th-Sunday
// cycle: one report posted, one page for the hosts that need a person, one
// audit event, and no cycle.
func TestPreflightDryRunScheduledOnceAcrossReplicas(t *testing.T) {
	b := backends()[1] // redis
	ctx := context.Background()
	h, _, _ := preflightHarness(t, b.open(t), nil)
	tn := gateTenant().Name
	cycle := schedule.MustParse("0 2 * * SUN#4", time.UTC)
	var scheds []*schedule.Scheduler
	for _, e := range h.engines {
		s := schedule.New(h.store, h.clock, schedule.Options{Replica: e.Replica()})
		if err := s.Add(schedule.PreflightJob(cycle, 48*time.Hour, e.ScheduledPreflight)); err != nil {
			t.Fatal(err)
		}
		scheds = append(scheds, s)
	}
	tickAll := func() []schedule.Firing {
		var mu sync.Mutex
		var all []schedule.Firing
		var wg sync.WaitGroup
		for _, s := range scheds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f, err := s.Tick(ctx)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				all = append(all, f...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		return all
	}
	// The cycle after 2026-11-22 fires on Sunday 2026-12-27 02:00 UTC; its
	// preflight on Friday 2026-12-25 02:00.
	h.clock.Set(time.Date(2026, 12, 25, 1, 0, 0, 0, time.UTC))
	if f := tickAll(); len(f) != 0 {
		t.Fatalf("fired early: %+v", f)
	}
	h.clock.Set(time.Date(2026, 12, 25, 2, 0, 30, 0, time.UTC))
	fired := tickAll()
	fired = append(fired, tickAll()...)
	if len(fired) != 1 || fired[0].Err != nil || !fired[0].At.Equal(time.Date(2026, 12, 25, 2, 0, 0, 0, time.UTC)) {
		t.Fatalf("firings %+v, want one at 2026-12-25 02:00", fired)
	}
	if posted := h.chat.Preflights(); len(posted) != 1 || posted[0].Tenant != tn ||
		!posted[0].Scheduled.Equal(time.Date(2026, 12, 27, 2, 0, 0, 0, time.UTC)) {
		t.Fatalf("posted %+v, want one report ahead of the 12-27 cycle", posted)
	}
	st := h.fleet.Stats()
	if st.PageTriggers != 1 || st.IncidentsOpened != 1 {
		t.Fatalf("%d page triggers, %d incidents; want one page for the hosts that need a person", st.PageTriggers, st.IncidentsOpened)
	}
	for key, inc := range st.Incidents {
		if !strings.Contains(key, "preflight/"+tn) || !strings.Contains(inc.Summary, "2 host(s) of "+tn+" need a person") {
			t.Errorf("incident %s: %+v", key, inc)
		}
	}
	if evs, err := h.engines[0].PreflightEvents(ctx, tn); err != nil || len(evs) != 1 || evs[0].Actor != runbooks.ActorSystem {
		t.Fatalf("preflight audit %+v, %v", evs, err)
	}
	if active, err := h.engines[0].Active(ctx); err != nil || len(active) != 0 {
		t.Fatalf("active cycles %d, %v: a preflight opens none", len(active), err)
	}
}
