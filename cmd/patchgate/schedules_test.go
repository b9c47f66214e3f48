package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/runbooks"
)

// TestScheduledPatchCycle: the scheduled job starts every tenant's cycle as
// patchgate, and a tenant still mid-cycle is skipped without failing the job.
func TestScheduledPatchCycle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg, err := config.Load(cliConfig(t, dir, 0))
	if err != nil {
		t.Fatal(err)
	}
	a, err := build(ctx, cfg, wiring{reports: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.store.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := scheduler(cfg, a.store, a.engine, nil, log); err != nil {
		t.Fatalf("the configured patch_cycle schedule: %v", err)
	}
	job := patchCycleJob(a.engine, log)
	at := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	if err := job(ctx, at); err != nil {
		t.Fatal(err)
	}
	active, err := a.engine.Active(ctx)
	if err != nil || len(active) != 1 || active[0].Requester != runbooks.ActorSystem || active[0].Tenant != "acme-cu" {
		t.Fatalf("after the scheduled start: %d active (%v), want acme-cu requested by patchgate", len(active), err)
	}
	if err := job(ctx, at.Add(28*24*time.Hour)); err != nil {
		t.Errorf("a tenant mid-cycle must be skipped, not fail the job: %v", err)
	}
	if active, _ := a.engine.Active(ctx); len(active) != 1 {
		t.Errorf("%d active cycles after the second firing, want still 1", len(active))
	}
}
