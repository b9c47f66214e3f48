package test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
)

// TestFreezeHoldsNewStagesAndCycles: an approver freezes all tenants while
// production's backup runs. The backup finishes; the patch does not start
// and the cycle records once, across three replicas, what holds it; a new
// cycle of another tenant is refused (and audited); an outsider may not
// freeze (audited on the freeze stream). Unfreezing lets the patch start.
func TestFreezeHoldsNewStagesAndCycles(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tenants := sim.GenerateTenants(2, gateSeed)
			h := newHarness(t, b.open(t), sim.Config{Seed: gateSeed, Tenants: tenants, HostsPerTarget: 1, OpDuration: 2 * time.Hour}, 3,
				withWindow("none", "", 0))
			tn := tenants[0].Name
			c := h.start(ctx, tn)
			h.driveTo(ctx, c.ID, "production")
			h.mustDecide(ctx, c.ID, "production", runbooks.Approve, alice)
			h.mustDecide(ctx, c.ID, "production", runbooks.Approve, bob)
			h.tickAll(ctx)
			if bk, pt := h.prodOps(tn); bk != 1 || pt != 0 {
				t.Fatalf("before the freeze: %d backups, %d patches, want the backup running", bk, pt)
			}

			until := h.clock.Now().Add(48 * time.Hour)
			_, err := h.engines[2].Freeze(ctx, runbooks.FreezeRequest{Tenant: runbooks.FreezeAll, Until: until, Reason: "INC-1 declared", Actor: outsider})
			if runbooks.ErrorCode(err) != runbooks.CodeForbidden {
				t.Fatalf("outsider's freeze: %v, want forbidden", err)
			}
			f, err := h.engines[1].Freeze(ctx, runbooks.FreezeRequest{Tenant: runbooks.FreezeAll, Until: until, Reason: "INC-1 declared", Actor: alice})
			if err != nil {
				t.Fatal(err)
			}
			if f.By != alice || f.Source != runbooks.FreezeCommand {
				t.Errorf("freeze = %+v", f)
			}

			h.clock.Advance(2 * time.Hour) // the backup's provider says done
			for range 3 {
				h.tickAll(ctx)
				h.clock.Advance(time.Hour)
			}
			if bk, pt := h.prodOps(tn); bk != 1 || pt != 0 {
				t.Fatalf("during the freeze: %d backups, %d patches, want the backup only", bk, pt)
			}
			cur := h.cycle(ctx, c.ID)
			s, _ := cur.Stage("production")
			if !s.Backup.Done || s.Phase != runbooks.PhasePatch {
				t.Fatalf("production %s, backup done %v: the running backup must finish", s.Phase, s.Backup.Done)
			}
			holds := stageEvents(h.events(ctx, c.ID), "production", runbooks.EvFreezeHolding)
			if len(holds) != 1 || !strings.Contains(holds[0].Detail, "all tenants frozen until") || !strings.Contains(holds[0].Detail, "INC-1 declared") {
				t.Fatalf("freeze.holding events %+v, want one naming the freeze", holds)
			}
			if cur.Frozen == nil || cur.Frozen.Reason != "INC-1 declared" {
				t.Errorf("cycle.Frozen = %+v", cur.Frozen)
			}

			_, err = h.engines[0].Start(ctx, tenants[1].Name, requester)
			if runbooks.ErrorCode(err) != runbooks.CodeConflict || !strings.Contains(runbooks.ErrorMessage(err), "INC-1 declared") {
				t.Fatalf("start during the freeze: %v, want refused naming the freeze", err)
			}
			refs, err := h.engines[0].StartRefusals(ctx, tenants[1].Name)
			if err != nil || len(refs) != 1 {
				t.Fatalf("start refusals %+v, %v: want the refused start audited", refs, err)
			}

			if _, err := h.engines[0].Unfreeze(ctx, runbooks.FreezeRequest{Tenant: runbooks.FreezeAll, Actor: outsider}); runbooks.ErrorCode(err) != runbooks.CodeForbidden {
				t.Fatalf("outsider's unfreeze: %v, want forbidden", err)
			}
			if _, err := h.engines[0].Unfreeze(ctx, runbooks.FreezeRequest{Tenant: runbooks.FreezeAll, Actor: bob, Reason: "INC-1 resolved"}); err != nil {
				t.Fatal(err)
			}
			h.tickAll(ctx)
			if _, pt := h.prodOps(tn); pt != 1 {
				t.Fatalf("after unfreeze: %d patches, want 1", pt)
			}
			if n := len(h.events(ctx, c.ID, runbooks.EvFreezeEnded)); n != 1 {
				t.Errorf("%d freeze.ended events, want 1", n)
			}
			evs, err := h.engines[0].FreezeEvents(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var types []string
			for _, ev := range evs {
				types = append(types, ev.Type+":"+ev.Actor)
			}
			want := []string{runbooks.EvFreezeRefused + ":" + outsider, runbooks.EvFreezeSet + ":" + alice,
				runbooks.EvFreezeRefused + ":" + outsider, runbooks.EvFreezeLifted + ":" + bob}
			if strings.Join(types, " ") != strings.Join(want, " ") {
				t.Errorf("freeze stream %v, want %v", types, want)
			}
			h.finish(ctx, c.ID)
			verifyAllStreams(t, h.store)
		})
	}
}

// TestFreezeFromConfigRefusesStarts: a configured month-end freeze of one
// tenant refuses its new cycles until it ends, leaves other tenants alone,
// and cannot be lifted by command.
func TestFreezeFromConfigRefusesStarts(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tenants := sim.GenerateTenants(2, gateSeed)
			clock := testkit.NewClock(start)
			fleet, err := sim.New(sim.Config{Seed: gateSeed, Tenants: tenants, HostsPerTarget: 1, Clock: clock})
			if err != nil {
				t.Fatal(err)
			}
			st := b.open(t)
			cfg := runbooks.Config{Replica: "r1", Freezes: []runbooks.Freeze{{Tenant: tenants[0].Name, From: start.Add(-time.Hour),
				Until: start.Add(24 * time.Hour), Reason: "month-end processing", Source: runbooks.FreezeConfig}}}
			e, err := runbooks.New(cfg, runbooks.Deps{Store: st, Clock: clock, Inventory: fleet, Sensors: fleet, Backups: fleet,
				Patcher: fleet, Health: fleet, Pager: fleet, Directory: fleet, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Reporter: &reports.Dir{Path: t.TempDir(), Now: clock.Now}}, tenants, testPipeline())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Start(ctx, tenants[0].Name, requester); runbooks.ErrorCode(err) != runbooks.CodeConflict ||
				!strings.Contains(runbooks.ErrorMessage(err), "month-end processing (configured)") {
				t.Fatalf("start in the freeze: %v", err)
			}
			if _, err := e.Start(ctx, tenants[1].Name, requester); err != nil {
				t.Fatalf("another tenant: %v", err)
			}
			_, err = e.Unfreeze(ctx, runbooks.FreezeRequest{Tenant: tenants[0].Name, Actor: alice})
			if runbooks.ErrorCode(err) != runbooks.CodeNotFound || !strings.Contains(runbooks.ErrorMessage(err), "changing the configuration") {
				t.Fatalf("unfreeze of a configured freeze: %v", err)
			}
			fz, err := e.Freezes(ctx)
			if err != nil || len(fz) != 1 {
				t.Fatalf("freezes %+v, %v", fz, err)
			}
			clock.Set(start.Add(24 * time.Hour))
			if _, err := e.Start(ctx, tenants[0].Name, requester); err != nil {
				t.Fatalf("start after the freeze: %v", err)
			}
		})
	}
}
