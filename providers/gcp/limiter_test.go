package gcp

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
)

// With one write a minute, three patch jobs make the limiter wait twice a
// minute on the fake clock: nothing sleeps for real, and nothing is timed.
func TestQuotaSpacesOSConfigWrites(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	p := newProvider(t, srv, clk, func(c *Config) { c.WritesPerMinute = 1 })
	ctx := context.Background()
	hosts := prodHosts(t, srv, p)
	if s := clk.Slept(); len(s) != 0 {
		t.Fatalf("reads within the default budget waited %v", s)
	}
	for i := range 3 {
		if _, err := p.StartPatch(ctx, req(fmt.Sprintf("c/production/patch/%d", i), hosts)); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Count("osconfig.patchJobs.execute"); n != 3 {
		t.Fatalf("execute requests = %d, want 3", n)
	}
	s := clk.Slept()
	var total time.Duration
	for _, d := range s {
		total += d
	}
	if len(s) != 2 || total < 119*time.Second {
		t.Errorf("limiter waits = %v (total %v), want 2 waits adding up to 2 minutes", s, total)
	}
}

// Only OS Config spends the budget: Compute calls of the same inventory do
// not wait.
func TestQuotaCountsOnlyOSConfigReads(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	p := newProvider(t, srv, clk, func(c *Config) { c.ReadsPerMinute = 1 })
	if _, err := p.Hosts(context.Background(), tenant, prodDR); err != nil {
		t.Fatal(err)
	}
	osc, comp := srv.Count("osconfig.inventories.list"), srv.Count("compute.instances.aggregatedList")
	if osc != 3 || comp != 3 {
		t.Fatalf("requests: %d OS Config, %d Compute; want 3 and 3", osc, comp)
	}
	if s := clk.Slept(); len(s) != osc-1 {
		t.Errorf("limiter waited %d times (%v), want %d: one per OS Config read after the first", len(s), s, osc-1)
	}
}

func TestQuotaWaitHonoursCancel(t *testing.T) {
	clk := testkit.NewClock(t0)
	q := newQuota(1, clk, func(ctx context.Context, d time.Duration) error { return context.Canceled })
	ctx := context.Background()
	if err := q.wait(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.wait(ctx); err == nil {
		t.Fatal("a cancelled wait returned nil")
	}
	// The cancelled reservation was given back: a minute later one call
	// goes through without waiting.
	clk.Advance(time.Minute)
	q.sleep = func(context.Context, time.Duration) error { t.Fatal("waited after the budget refilled"); return nil }
	if err := q.wait(ctx); err != nil {
		t.Fatal(err)
	}
}
