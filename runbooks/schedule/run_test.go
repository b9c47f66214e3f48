package schedule

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// Run waits through Options.After; here that advances the fake clock by the
// requested wait, so Run walks the schedule without sleeping. On return it
// has released the lease.
func TestRunFiresAndReleases(t *testing.T) {
	clk := newClock(mustTime(t, "2026-11-22T01:00:00Z"))
	store := openBolt(t, clk)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	fired := make(chan time.Time, 10)
	s := New(store, clk, Options{Replica: "a", LeaseTTL: 30 * time.Second, Logger: slog.New(slog.DiscardHandler),
		After: func(d time.Duration) <-chan time.Time {
			clk.Advance(d)
			ch := make(chan time.Time, 1)
			ch <- clk.Now()
			return ch
		}})
	if err := s.Add(Job{Name: "patch", Schedule: MustParse("0 2 * * SUN#4", time.UTC),
		Run: func(_ context.Context, at time.Time) error { fired <- at; cancel(); return nil }}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	at := <-fired
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !at.Equal(mustTime(t, "2026-11-22T02:00:00Z")) {
		t.Fatalf("fired at %s", at)
	}
	if _, err := store.AcquireLease(t.Context(), LeaseKey, "b", time.Minute); err != nil {
		t.Fatalf("lease not released: %v", err)
	}
}
