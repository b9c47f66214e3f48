package test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// withWindow gives tier env a change window and min_remaining, and takes
// staging's soak away so the scenarios reach production quickly.
func withWindow(env, spec string, minRemaining time.Duration) harnessOption {
	return func(_ *runbooks.Deps, p *runbooks.Pipeline) {
		for i := range *p {
			if (*p)[i].Env == env {
				(*p)[i].Window, (*p)[i].MinRemaining = spec, minRemaining
			}
			(*p)[i].Soak = 0
		}
	}
}

// windowHarness is one tenant's fleet whose backups and patches take 2h15m.
func windowHarness(t *testing.T, b backend, tenant runbooks.Tenant, opts ...harnessOption) *harness {
	return newHarness(t, b.open(t), sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{tenant},
		HostsPerTarget: 1, OpDuration: 135 * time.Minute}, 3, opts...)
}

// approveProductionAt moves the clock to at and approves production
// (alice, then bob), returning the second approval's message.
func (h *harness) approveProductionAt(ctx context.Context, id string, at time.Time) string {
	h.t.Helper()
	h.driveTo(ctx, id, "production")
	h.clock.Set(at)
	h.mustDecide(ctx, id, "production", runbooks.Approve, alice)
	out, err := h.decide(ctx, id, "production", runbooks.Approve, bob)
	if err != nil {
		h.t.Fatal(err)
	}
	return out.Message
}

// tickAt sets the clock and runs a tick on every replica.
func (h *harness) tickAt(ctx context.Context, at string) {
	h.t.Helper()
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		h.t.Fatal(err)
	}
	h.clock.Set(t)
	h.tickAll(ctx)
	h.tickAll(ctx)
}

func (h *harness) prodOps(tenant string) (backups, patches int) {
	st := h.fleet.Stats()
	return st.Backups.ByScope[tenant+"/production"], st.Patches.ByScope[tenant+"/production"]
}

// TestChangeWindowWaitsStartsAndOverruns: production approved on a
// Saturday after its Sunday 02:00-06:00 America/Chicago window closed waits
// a week, says when it starts, starts no operation a minute early, starts
// at the opening, and a patch that ends after 06:00 finishes and is
// reported as a window overrun; the record keeps each operation's window.
func TestChangeWindowWaitsStartsAndOverruns(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant()
			h := windowHarness(t, b, tn, withWindow("production", "SUN 02:00-06:00 America/Chicago", 90*time.Minute))
			c := h.start(ctx, tn.Name)
			msg := h.approveProductionAt(ctx, c.ID, time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
			want := "waits for change window SUN 02:00-06:00 America/Chicago, opening Sun 2026-11-29 02:00 CST (2026-11-29 08:00 UTC)"
			if !strings.Contains(msg, want) {
				t.Errorf("approval message %q, want it to say %q", msg, want)
			}
			h.tickAt(ctx, "2026-11-28T12:00:00Z")
			s, _ := h.cycle(ctx, c.ID).Stage("production")
			if s.Phase != runbooks.PhaseWindow {
				t.Fatalf("production is %s, want %s", s.Phase, runbooks.PhaseWindow)
			}
			waits := stageEvents(h.events(ctx, c.ID), "production", runbooks.EvWindowWait)
			if len(waits) != 1 || !strings.Contains(waits[0].Detail, want[len("waits"):]) || waits[0].Data["opens"] != "2026-11-29T08:00:00Z" {
				t.Fatalf("window.waiting events %+v, want one saying %q", waits, want)
			}

			h.tickAt(ctx, "2026-11-29T07:59:00Z")
			if bk, pt := h.prodOps(tn.Name); bk != 0 || pt != 0 {
				t.Fatalf("a minute before the window: %d backups, %d patches started, want none", bk, pt)
			}
			if n := len(stageEvents(h.events(ctx, c.ID), "production", runbooks.EvWindowWait)); n != 1 {
				t.Errorf("%d window.waiting events after more ticks, want still 1", n)
			}

			h.tickAt(ctx, "2026-11-29T08:00:00Z")
			if bk, pt := h.prodOps(tn.Name); bk != 1 || pt != 0 {
				t.Fatalf("at the opening: %d backups, %d patches, want the backup only", bk, pt)
			}
			h.tickAt(ctx, "2026-11-29T10:15:00Z") // backup done; 1h45m left ≥ 90m
			if _, pt := h.prodOps(tn.Name); pt != 1 {
				t.Fatalf("patch started %d times at 04:15 CST, want 1", pt)
			}
			h.tickAt(ctx, "2026-11-29T12:30:00Z") // patch done 30m after 06:00 CST
			c = h.cycle(ctx, c.ID)
			s, _ = c.Stage("production")
			over := stageEvents(h.events(ctx, c.ID), "production", runbooks.EvWindowOverrun)
			if len(over) != 1 || over[0].Data["op"] != "patch" || !strings.Contains(over[0].Detail, "30m after change window") {
				t.Fatalf("overrun events %+v, want one for the patch, 30m late", over)
			}
			if len(s.WindowRuns) != 2 {
				t.Fatalf("window runs %+v, want backup and patch", s.WindowRuns)
			}
			open := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
			for _, r := range s.WindowRuns {
				if !r.Inside || !r.Window.Start.Equal(open) || !r.Window.End.Equal(open.Add(4*time.Hour)) {
					t.Errorf("run %+v, want started inside the 08:00–12:00 UTC window", r)
				}
				if r.Overrun != (r.Op == "patch") {
					t.Errorf("run %+v: overrun %v", r, r.Overrun)
				}
			}
			if s.Phase == runbooks.PhaseFailed || c.Status != runbooks.StatusRunning && c.Status != runbooks.StatusCompleted {
				t.Fatalf("cycle %s, production %s: an overrun must not fail the stage", c.Status, s.Phase)
			}
			h.finish(ctx, c.ID)
		})
	}
}

// TestChangeWindowMinRemainingOnSpringForward: on 2027-03-14 the tenant's
// Sunday 02:00-06:00 America/Chicago window opens at 03:00 CDT and lasts
// 3 h. The backup starts at the opening and ends at 05:15 CDT; with 45m left
// and min_remaining 90m the patch does not start, the thread says when it
// will, and it starts at the next opening, 02:00 CDT a week later.
func TestChangeWindowMinRemainingOnSpringForward(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant()
			tn.Windows = map[string]string{"production": "SUN 02:00-06:00 America/Chicago"}
			h := windowHarness(t, b, tn, withWindow("production", "SAT 00:00 1h UTC", 90*time.Minute))
			c := h.start(ctx, tn.Name)
			h.approveProductionAt(ctx, c.ID, time.Date(2027, 3, 13, 12, 0, 0, 0, time.UTC))
			h.tickAt(ctx, "2027-03-14T07:59:00Z") // 01:59 CST
			if bk, _ := h.prodOps(tn.Name); bk != 0 {
				t.Fatalf("backup started before 03:00 CDT")
			}
			h.tickAt(ctx, "2027-03-14T08:00:00Z") // 03:00 CDT
			if bk, _ := h.prodOps(tn.Name); bk != 1 {
				t.Fatalf("backup started %d times at 03:00 CDT, want 1", bk)
			}
			h.tickAt(ctx, "2027-03-14T10:15:00Z")
			if _, pt := h.prodOps(tn.Name); pt != 0 {
				t.Fatalf("patch started with 45m left, under min_remaining 90m")
			}
			waits := stageEvents(h.events(ctx, c.ID), "production", runbooks.EvWindowWait)
			last := waits[len(waits)-1]
			if !strings.Contains(last.Detail, "patching waits: 45m left in change window SUN 02:00-06:00 America/Chicago is under min_remaining 1h30m; next opening Sun 2027-03-21 02:00 CDT (2027-03-21 07:00 UTC)") {
				t.Errorf("wait detail %q", last.Detail)
			}
			h.tickAt(ctx, "2027-03-21T06:59:00Z")
			if _, pt := h.prodOps(tn.Name); pt != 0 {
				t.Fatalf("patch started before the next opening")
			}
			h.tickAt(ctx, "2027-03-21T07:00:00Z")
			if _, pt := h.prodOps(tn.Name); pt != 1 {
				t.Fatalf("patch started %d times at the next opening, want 1", pt)
			}
			h.tickAt(ctx, "2027-03-21T09:15:00Z")
			if n := len(stageEvents(h.events(ctx, c.ID), "production", runbooks.EvWindowOverrun)); n != 0 {
				t.Errorf("%d overruns, want none", n)
			}
			h.finish(ctx, c.ID)
		})
	}
}
