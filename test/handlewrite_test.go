package test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
)

// lateStart answers StartPatch only once the step budget has run out, as a
// provider does that accepts the command and answers at the last moment.
type lateStart struct{ runbooks.Patcher }

func (p lateStart) StartPatch(ctx context.Context, req runbooks.OpRequest) (string, error) {
	h, err := p.Patcher.StartPatch(ctx, req)
	<-ctx.Done()
	return h, err
}

// TestStepBudgetHandleKeptAfterLateAnswer: a patch started right at the end
// of the step budget still has its (blob-sized) handle stored, because the
// blob write gets the record write's own deadline; the engine never has to
// count a failed attempt and find its own earlier request.
func TestStepBudgetHandleKeptAfterLateAnswer(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant()
			h := newHarness(t, b.open(t), sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{tn},
				HostsPerTarget: 4, HandleBytes: realHandleBytes}, 0)
			e, err := runbooks.New(runbooks.Config{Replica: "late", Workers: 2, LeaseTTL: 30 * time.Second,
				StepTimeout: 300 * time.Millisecond},
				runbooks.Deps{Store: h.store, Clock: h.clock, Inventory: h.fleet, Sensors: h.fleet, Backups: h.fleet,
					Patcher: lateStart{h.fleet}, Health: h.fleet, Pager: h.fleet, Directory: h.fleet, Chat: h.chat,
					Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Reporter: &reports.Dir{Path: t.TempDir(), Now: h.clock.Now}},
				[]runbooks.Tenant{tn}, testPipeline())
			if err != nil {
				t.Fatal(err)
			}
			h.engines = []*runbooks.Engine{e}
			c := h.start(ctx, tn.Name)
			c = h.runUntil(ctx, c.ID, "nonprod patch started", func(c *runbooks.Cycle) bool {
				s, _ := c.Stage("nonprod")
				return s.Patch.Sent()
			})
			s, _ := c.Stage("nonprod")
			if s.Patch.HandleBlob.IsZero() {
				t.Fatalf("patch handle of %d B kept inline; the test needs one in a blob", len(s.Patch.Handle))
			}
			for _, ev := range h.events(ctx, c.ID, runbooks.EvPatchStarted, runbooks.EvStageFailed) {
				if strings.Contains(ev.Detail, "found the earlier request") || ev.Type == runbooks.EvStageFailed {
					t.Errorf("%s %s: %s — the late answer's handle was not kept", ev.Stage, ev.Type, ev.Detail)
				}
			}
			if s.Errors != 0 {
				t.Errorf("nonprod counted %d failed attempt(s): %s", s.Errors, s.LastError)
			}
		})
	}
}
