package metrics

import (
	"context"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

type govEngine struct {
	Engine
	preflights, freezes int
}

func (g *govEngine) Preflight(_ context.Context, tenant, _ string) (runbooks.PreflightReport, error) {
	g.preflights++
	return runbooks.PreflightReport{Tenant: tenant}, nil
}
func (g *govEngine) FreezeCommand(context.Context, []string, string) (string, error) {
	g.freezes++
	return "Frozen", nil
}
func (g *govEngine) UnfreezeCommand(context.Context, []string, string) (string, error) {
	return "Lifted", nil
}
func (g *govEngine) FreezeLines(context.Context) ([]string, error) { return []string{"f"}, nil }
func (g *govEngine) EmergencyCommand(context.Context, []string, string) (string, error) {
	return "Requested EMERGENCY change", nil
}

type preflightChat struct{ got []string }

func (p *preflightChat) CycleChanged(context.Context, *runbooks.Cycle, []runbooks.Event) error {
	return nil
}
func (p *preflightChat) PreflightPosted(_ context.Context, r runbooks.PreflightReport) error {
	p.got = append(p.got, r.Tenant)
	return nil
}

// TestGovernancePassesThrough: the decisions wrapper hands /patch
// preflight, freeze and unfreeze to the engine, and the chat decorator
// hands a scheduled preflight's report to the chat it wraps.
func TestGovernancePassesThrough(t *testing.T) {
	ctx := context.Background()
	inner := &govEngine{}
	e := New().Decisions(inner)
	g, ok := e.(governance)
	if !ok {
		t.Fatal("the decisions wrapper hides the governance requests")
	}
	if r, err := g.Preflight(ctx, "acme-cu", "U1"); err != nil || r.Tenant != "acme-cu" || inner.preflights != 1 {
		t.Fatalf("preflight forwarded %+v, %v (%d calls)", r, err, inner.preflights)
	}
	if s, err := g.FreezeCommand(ctx, nil, "U1"); err != nil || s != "Frozen" || inner.freezes != 1 {
		t.Fatalf("freeze forwarded %q, %v", s, err)
	}
	if l, err := g.FreezeLines(ctx); err != nil || len(l) != 1 {
		t.Fatalf("freeze lines %v, %v", l, err)
	}
	if s, err := g.EmergencyCommand(ctx, nil, "U1"); err != nil || s != "Requested EMERGENCY change" {
		t.Fatalf("emergency forwarded %q, %v", s, err)
	}
	pc := &preflightChat{}
	c, ok := New().Chat(pc).(runbooks.PreflightChat)
	if !ok {
		t.Fatal("the chat decorator hides PreflightPosted")
	}
	if err := c.PreflightPosted(ctx, runbooks.PreflightReport{Tenant: "acme-cu"}); err != nil || len(pc.got) != 1 {
		t.Fatalf("posted %v, %v", pc.got, err)
	}
}
