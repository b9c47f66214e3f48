package schedule

import (
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// TestReplicasSUN4AcrossSeasons: two replicas on one store fire the 4th
// Sunday 02:00 Berlin-time schedule from October to April, through the
// scheduler (leases, claims, catch-up), once per month: across both DST
// changes, the month ends and the turn of the year. The 6-hour ticks are
// later than each firing, so every firing is a catch-up inside the 7-hour
// grace window.
func TestReplicasSUN4AcrossSeasons(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			start := mustTime(t, "2026-10-01T00:00:00Z")
			clk := newClock(start)
			store := b.open(t, clk)
			rec := newRecorder()
			var reps []*Scheduler
			for i := range 2 {
				s := New(store, clk, Options{Replica: fmt.Sprintf("r%d", i), LeaseTTL: 30 * time.Second,
					Grace: 7 * time.Hour, Logger: slog.New(slog.DiscardHandler)})
				if err := s.Add(Job{Name: "patch", Schedule: MustParse("0 2 * * SUN#4", berlin), Run: rec.job("patch")}); err != nil {
					t.Fatal(err)
				}
				reps = append(reps, s)
			}
			for clk.Now().Before(mustTime(t, "2027-04-30T00:00:00Z")) {
				clk.Advance(6 * time.Hour)
				var wg sync.WaitGroup
				for _, r := range reps {
					wg.Go(func() {
						if _, err := r.Tick(t.Context()); err != nil {
							t.Errorf("tick %s: %v", r.opts.Replica, err)
						}
					})
				}
				wg.Wait()
			}
			want := []string{
				"patch@2026-10-25T00:00:00Z", // fall-back night: the first 02:00 (CEST)
				"patch@2026-11-22T01:00:00Z",
				"patch@2026-12-27T01:00:00Z",
				"patch@2027-01-24T01:00:00Z", // across the year
				"patch@2027-02-28T01:00:00Z",
				"patch@2027-03-28T01:00:00Z", // spring-forward: 02:00 does not exist, 03:00 CEST
				"patch@2027-04-25T00:00:00Z",
			}
			if got := rec.keys(t); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("fired:\n%v\nwant:\n%v", got, want)
			}
		})
	}
}
