package schedule

import (
	"context"
	"errors"
	"testing"
	"time"
)

// RunOnce runs on any replica, leader or not, every time it is asked.
func TestRunOnceIgnoresLeaseAndClaims(t *testing.T) {
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			clk := newClock(mustTime(t, "2026-11-22T02:00:00Z"))
			store := bk.open(t, clk)
			var runs []time.Time
			job := Job{Name: "digest", Schedule: MustParse("0 7 * * *", time.UTC),
				Run: func(_ context.Context, at time.Time) error { runs = append(runs, at); return nil }}
			leader := newReplica(t, store, clk, "a", nil, job)
			follower := newReplica(t, store, clk, "b", nil, job)
			tick(t, leader)
			for range 2 {
				if err := follower.RunOnce(t.Context(), "digest"); err != nil {
					t.Fatalf("RunOnce: %v", err)
				}
			}
			if len(runs) != 2 || !runs[0].Equal(clk.Now()) {
				t.Fatalf("runs %v, want two at %s", runs, clk.Now())
			}
			if err := follower.RunOnce(t.Context(), "nope"); !errors.Is(err, ErrUnknownJob) {
				t.Fatalf("unknown job: %v, want ErrUnknownJob", err)
			}
		})
	}
}

func TestRunOnceReturnsJobError(t *testing.T) {
	clk := newClock(mustTime(t, "2026-11-22T02:00:00Z"))
	boom := errors.New("boom")
	s := newReplica(t, openBolt(t, clk), clk, "a", nil, Job{Name: "j", Schedule: MustParse("0 7 * * *", time.UTC),
		Run: func(context.Context, time.Time) error { return boom }})
	if err := s.RunOnce(t.Context(), "j"); !errors.Is(err, boom) {
		t.Fatalf("RunOnce = %v, want boom", err)
	}
}

func TestAddRejects(t *testing.T) {
	clk := newClock(mustTime(t, "2026-11-22T02:00:00Z"))
	s := newReplica(t, openBolt(t, clk), clk, "a", nil)
	run := func(context.Context, time.Time) error { return nil }
	sched := MustParse("0 7 * * *", time.UTC)
	good := Job{Name: "j", Schedule: sched, Run: run}
	if err := s.Add(good); err != nil {
		t.Fatal(err)
	}
	for name, j := range map[string]Job{
		"duplicate":   good,
		"empty name":  {Schedule: sched, Run: run},
		"slash":       {Name: "a/b", Schedule: sched, Run: run},
		"no schedule": {Name: "k", Run: run},
		"no run":      {Name: "k", Schedule: sched},
	} {
		if err := s.Add(j); err == nil {
			t.Errorf("%s: Add accepted it", name)
		}
	}
}
