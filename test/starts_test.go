package test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state/boltstore"
)

// TestGateOneActiveCyclePerTenant: starts of one tenant racing on every
// replica (a double-clicked /patch start, a redelivered command) open
// exactly one cycle; every other start is refused as a conflict.
func TestGateOneActiveCyclePerTenant(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tenants := sim.GenerateTenants(30, gateSeed)
			h := newHarness(t, b.open(t), sim.Config{Seed: gateSeed, Tenants: tenants, HostsPerTarget: 1}, 3)
			for _, tn := range tenants {
				const starts = 6
				ids := make([]string, starts)
				errs := make([]error, starts)
				var wg sync.WaitGroup
				for i := range starts {
					wg.Add(1)
					go func() {
						defer wg.Done()
						c, err := h.engines[i%len(h.engines)].Start(ctx, tn.Name, requester)
						if err == nil {
							ids[i] = c.ID
						}
						errs[i] = err
					}()
				}
				wg.Wait()
				won := 0
				for i, err := range errs {
					switch {
					case err == nil:
						won++
					case runbooks.ErrorCode(err) != runbooks.CodeConflict:
						t.Errorf("%s: start %d refused with %v, want a conflict", tn.Name, i, err)
					}
				}
				if won != 1 {
					t.Errorf("%s: %d of %d concurrent starts opened a cycle (%v), want 1", tn.Name, won, starts, ids)
				}
			}
			active, err := h.engines[0].Active(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(active) != len(tenants) {
				t.Errorf("%d active cycles for %d tenants", len(active), len(tenants))
			}
		})
	}
}

// TestOnlyRequestersStartCycles: with a requesters policy, a person outside
// it is refused (and nothing is opened), a listed user and a member of a
// listed group may start, and the scheduler always may.
func TestOnlyRequestersStartCycles(t *testing.T) {
	ctx := context.Background()
	tenants := sim.GenerateTenants(4, gateSeed)
	fleet, err := sim.New(sim.Config{Seed: gateSeed, Tenants: tenants, HostsPerTarget: 1,
		Groups: map[string][]string{"S-CAB": {bob}}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(t.TempDir() + "/state.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	deps := runbooks.Deps{Store: st, Inventory: fleet, Sensors: fleet, Backups: fleet, Patcher: fleet,
		Health: fleet, Pager: fleet, Directory: fleet, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	e, err := runbooks.New(runbooks.Config{Requesters: []string{requester}, RequesterGroups: []string{"S-CAB"}},
		deps, tenants, testPipeline())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Start(ctx, tenants[0].Name, outsider); runbooks.ErrorCode(err) != runbooks.CodeForbidden {
		t.Fatalf("outsider start: err = %v, want forbidden", err)
	}
	if active, err := e.Active(ctx); err != nil || len(active) != 0 {
		t.Fatalf("after a refused start: %d active cycles (err %v), want none", len(active), err)
	}
	for i, who := range []string{requester, bob, runbooks.ActorSystem} {
		if _, err := e.Start(ctx, tenants[i].Name, who); err != nil {
			t.Fatalf("start by %s: %v", who, err)
		}
	}
}

// TestRefusedStartsAudited: a start the requesters policy refuses is
// chained on the tenant's start-refusal stream with who tried (ID and the
// person the directory names), the code and the message they saw; an
// allowed start adds nothing there.
func TestRefusedStartsAudited(t *testing.T) {
	ctx := context.Background()
	tenants := sim.GenerateTenants(2, gateSeed)
	fleet, err := sim.New(sim.Config{Seed: gateSeed, Tenants: tenants, HostsPerTarget: 1})
	if err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(t.TempDir() + "/state.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	deps := runbooks.Deps{Store: st, Inventory: fleet, Sensors: fleet, Backups: fleet, Patcher: fleet,
		Health: fleet, Pager: fleet, Directory: fleet, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	e, err := runbooks.New(runbooks.Config{Requesters: []string{requester}}, deps, tenants, testPipeline())
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := e.Start(ctx, tenants[0].Name, outsider); runbooks.ErrorCode(err) != runbooks.CodeForbidden {
			t.Fatalf("outsider start: err = %v, want forbidden", err)
		}
	}
	if _, err := e.Start(ctx, tenants[1].Name, requester); err != nil {
		t.Fatal(err)
	}
	got, err := e.StartRefusals(ctx, tenants[0].Name)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d refused starts audited for %s, want 2", len(got), tenants[0].Name)
	}
	ev := got[1]
	if ev.Seq != 2 || ev.Type != runbooks.EvStartRefused || ev.Actor != outsider || ev.Tenant != tenants[0].Name ||
		ev.Data["code"] != runbooks.CodeForbidden || ev.Data["action"] != "start" || !strings.Contains(ev.Detail, "may not start") {
		t.Errorf("refused start event = %+v", ev)
	}
	if ev.Person == nil || ev.Person.ID != outsider || ev.Person.Name == "" {
		t.Errorf("refused start names no person: %+v", ev.Person)
	}
	if v, err := st.Verify(ctx, runbooks.StartRefusalStream(tenants[0].Name)); err != nil || !v.OK() || v.Checked != 2 {
		t.Errorf("start-refusal stream: %+v, err %v; want a verified 2-entry chain", v, err)
	}
	if other, _ := e.StartRefusals(ctx, tenants[1].Name); len(other) != 0 {
		t.Errorf("an allowed start was audited as refused: %+v", other)
	}
}
