package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// TestCycleShowSaysWhichCallFailed: on a cycle halted by hand while a
// provider call kept failing, and on one whose stage failed and whose page
// could not be sent, `cycle show` names the failing call and says nobody
// was paged.
func TestCycleShowSaysWhichCallFailed(t *testing.T) {
	t.Run("halted by hand while a call fails", func(t *testing.T) {
		out := showBrokenCycle(t, func(e *runbooks.Engine, c *runbooks.Cycle) bool {
			if c.Stages[0].Errors == 0 {
				return false
			}
			if _, err := e.Decide(context.Background(), runbooks.Decision{Cycle: c.ID, Stage: "preflight",
				Action: runbooks.HaltCycle, Actor: "U0ALICE001"}); err != nil {
				t.Fatal(err)
			}
			return true
		})
		for _, want := range []string{"halted by U0ALICE001", "last provider error (1 in a row): inventory of acme-cu/nonprod: sim Hosts"} {
			if !strings.Contains(out, want) {
				t.Errorf("cycle show lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("stage failed and the page was not sent", func(t *testing.T) {
		out := showBrokenCycle(t, func(_ *runbooks.Engine, c *runbooks.Cycle) bool {
			return c.Stages[0].Failure != nil && c.Stages[0].Incident.LastError != ""
		})
		for _, want := range []string{"FAILED: inventory failed", "sim Hosts", "paging failed, nobody was paged:", "sim Trigger"} {
			if !strings.Contains(out, want) {
				t.Errorf("cycle show lacks %q:\n%s", want, out)
			}
		}
	})
}

// showBrokenCycle starts a cycle on a fleet whose inventory and pager calls
// always fail, ticks until done says so, and returns `cycle show`.
func showBrokenCycle(t *testing.T, done func(*runbooks.Engine, *runbooks.Cycle) bool) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	cfgPath := cliConfig(t, dir, 0)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	a, err := build(ctx, cfg, wiring{reports: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{sim.MethodHosts, sim.MethodTrigger} {
		if err := a.fleet.SetErrorEvery(m, 1); err != nil {
			t.Fatal(err)
		}
	}
	c, err := a.engine.Start(ctx, "acme-cu", "U0REQ00001")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		if i == 50 {
			t.Fatalf("not there after 50 ticks: %+v", c.Stages[0])
		}
		if err := a.engine.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if c, err = a.engine.Get(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if done(a.engine, c) {
			break
		}
	}
	a.store.Close()
	var out bytes.Buffer
	if code := run(ctx, []string{"cycle", "show", c.ID, "--config", cfgPath}, &out, &out); code != 0 {
		t.Fatalf("cycle show: exit %d: %s", code, out.String())
	}
	return out.String()
}
