package schedule

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// Replicas on one store tick concurrently on one clock. On bbolt the 5-minute
// steps outlast the 30 s lease, so leadership is re-contested on every step
// and only the claims and fenced bookkeeping keep firings single.
func TestReplicasNeverDoubleFire(t *testing.T) {
	for _, b := range backends {
		for _, n := range []int{2, 3} {
			t.Run(fmt.Sprintf("%s/%d replicas", b.name, n), func(t *testing.T) {
				start := mustTime(t, "2026-11-22T00:00:00Z")
				clk := newClock(start)
				store := b.open(t, clk)
				rec := newRecorder()
				var reps []*Scheduler
				for i := range n {
					reps = append(reps, newReplica(t, store, clk, fmt.Sprintf("r%d", i), nil,
						Job{Name: "patch", Schedule: MustParse("0 2 * * SUN#4", time.UTC), Run: rec.job("patch")},
						Job{Name: "quarter", Schedule: MustParse("*/15 * * * *", time.UTC), Run: rec.job("quarter")}))
				}
				for step := 0; step < 48; step++ {
					clk.Advance(5 * time.Minute)
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
				var want []string
				for at := start.Add(15 * time.Minute); !at.After(start.Add(4 * time.Hour)); at = at.Add(15 * time.Minute) {
					want = append(want, "quarter@"+at.Format(time.RFC3339))
				}
				want = append([]string{"patch@2026-11-22T02:00:00Z"}, want...)
				got := rec.keys(t)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("fired %d:\n%v\nwant %d:\n%v", len(got), got, len(want), want)
				}
			})
		}
	}
}

// A wall-clock time repeated by fall-back fires once through the scheduler too.
func TestFallBackNightFiresOnce(t *testing.T) {
	clk := newClock(mustTime(t, "2026-10-24T22:00:00Z"))
	store := openBolt(t, clk)
	rec := newRecorder()
	s := newReplica(t, store, clk, "r0", nil,
		Job{Name: "daily", Schedule: MustParse("30 2 * * *", mustZone(t, "Europe/Berlin")), Run: rec.job("daily")})
	for range 36 { // to 04:00Z, past both passes through 02:30 local
		clk.Advance(10 * time.Minute)
		tick(t, s)
	}
	if got := fmt.Sprint(rec.keys(t)); got != "[daily@2026-10-25T00:30:00Z]" {
		t.Fatalf("fired %s, want once at the first 02:30 (00:30Z)", got)
	}
}
