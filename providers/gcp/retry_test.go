package gcp

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
)

func TestReadsAreRetriedAfter429And503(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	p := newProvider(t, srv, clk)
	srv.Fail("osconfig.inventories.list", 429, 503)
	srv.Fail("compute.instances.aggregatedList", 502)
	hosts, err := p.Hosts(context.Background(), tenant, prodDR)
	if err != nil || len(hosts) != 4 {
		t.Fatalf("Hosts = %d, %v; want 4 after retries", len(hosts), err)
	}
	if n := srv.Count("osconfig.inventories.list"); n != 5 {
		t.Errorf("inventories.list requests = %d, want 3 + 2 retries", n)
	}
	if n := srv.Count("compute.instances.aggregatedList"); n != 4 {
		t.Errorf("aggregatedList requests = %d, want 3 + 1 retry", n)
	}
	// Backoff 1s then 2s for OS Config, 1s for Compute, on the fake clock.
	got := clk.Slept()
	slices.Sort(got)
	if !slices.Equal(got, []time.Duration{time.Second, time.Second, 2 * time.Second}) {
		t.Errorf("backoff waits = %v, want [1s 1s 2s]", got)
	}
}

// A 429 on execute is safe to repeat (Google refused before doing
// anything); a 503 is not: the job may exist, and FindPatch recovers it.
func TestExecuteRetriedOnlyWhenRefused(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	p := newProvider(t, srv, clk)
	ctx := context.Background()
	hosts := prodHosts(t, srv, p)

	srv.Fail("osconfig.patchJobs.execute", 429)
	if _, err := p.StartPatch(ctx, req("c/production/patch/0", hosts)); err != nil {
		t.Fatalf("StartPatch after one 429: %v", err)
	}
	if n := srv.Count("osconfig.patchJobs.execute"); n != 2 {
		t.Errorf("execute requests = %d, want 2 (refused, then sent again)", n)
	}
	srv.Fail("osconfig.patchJobs.execute", 503)
	_, err := p.StartPatch(ctx, req("c/production/patch/1", hosts))
	if runbooks.ErrorCode(err) != runbooks.CodeUnavailable {
		t.Fatalf("StartPatch on a 503 = %v, want an unavailable error", err)
	}
	if n := srv.Count("osconfig.patchJobs.execute"); n != 3 {
		t.Errorf("execute requests = %d, want 3: a 503 is not repeated", n)
	}
}

func TestBackoff(t *testing.T) {
	if d := backoff(1, "7"); d != 7*time.Second {
		t.Errorf("Retry-After 7 → %v", d)
	}
	if d := backoff(10, ""); d != 30*time.Second {
		t.Errorf("attempt 10 → %v, want the 30s cap", d)
	}
}
