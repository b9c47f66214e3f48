package schedule

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// The leader stops (releases, or on bbolt lets its lease lapse on the fake
// clock); the follower takes over and fires the next occurrence once, and
// the old leader coming back fires nothing.
func TestLeaseFailover(t *testing.T) {
	type variant struct {
		backend backend
		release bool
	}
	var vs []variant
	for _, b := range backends {
		vs = append(vs, variant{b, true})
		if b.expiresOnClock { // Redis expires leases on real time; no sleeping in tests
			vs = append(vs, variant{b, false})
		}
	}
	for _, v := range vs {
		name := v.backend.name + "/expire"
		if v.release {
			name = v.backend.name + "/release"
		}
		t.Run(name, func(t *testing.T) {
			clk := newClock(mustTime(t, "2026-11-22T01:00:00Z"))
			store := v.backend.open(t, clk)
			rec := newRecorder()
			job := Job{Name: "patch", Schedule: MustParse("0 2 * * SUN#4", time.UTC), Run: rec.job("patch")}
			a := newReplica(t, store, clk, "a", nil, job)
			b := newReplica(t, store, clk, "b", nil, job)
			tick(t, a)
			tick(t, b)
			if !a.leads || b.leads {
				t.Fatalf("a leads %v, b leads %v; want a only", a.leads, b.leads)
			}
			if v.release {
				if err := a.Release(t.Context()); err != nil {
					t.Fatalf("release: %v", err)
				}
			}
			clk.Set(mustTime(t, "2026-11-22T02:00:30Z")) // a's 30 s lease is long gone
			if fired := tick(t, b); len(fired) != 1 {
				t.Fatalf("b fired %v, want the 02:00 firing", fired)
			}
			if fired := tick(t, a); len(fired) != 0 {
				t.Fatalf("returning a fired %v, want nothing", fired)
			}
			clk.Advance(time.Minute)
			tick(t, b)
			if got := fmt.Sprint(rec.keys(t)); got != "[patch@2026-11-22T02:00:00Z]" {
				t.Fatalf("fired %s", got)
			}
		})
	}
}

// A leader that fired and died before recording it leaves "last" behind the
// firing; the claim still stops its successor from firing again.
func TestClaimOutlivesLostBookkeeping(t *testing.T) {
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			clk := newClock(mustTime(t, "2026-11-22T01:00:00Z"))
			store := bk.open(t, clk)
			rec := newRecorder()
			job := Job{Name: "patch", Schedule: MustParse("0 2 * * SUN#4", time.UTC), Run: rec.job("patch")}
			a := newReplica(t, store, clk, "a", nil, job)
			tick(t, a)
			clk.Set(mustTime(t, "2026-11-22T02:00:10Z"))
			if fired := tick(t, a); len(fired) != 1 {
				t.Fatalf("a fired %v, want one", fired)
			}
			// Rewind the record as if a died between the claim and saveLast.
			cur, err := store.Get(t.Context(), lastKey("patch"))
			if err != nil {
				t.Fatal(err)
			}
			old, _ := json.Marshal(lastRecord{Last: mustTime(t, "2026-11-22T01:00:00Z"), Replica: "a"})
			if _, err := store.Update(t.Context(), lastKey("patch"), old, cur.Version); err != nil {
				t.Fatal(err)
			}
			if err := a.Release(t.Context()); err != nil {
				t.Fatal(err)
			}
			b := newReplica(t, store, clk, "b", nil, job)
			clk.Advance(time.Minute)
			if fired := tick(t, b); len(fired) != 0 {
				t.Fatalf("b fired %v after a's claim, want nothing", fired)
			}
			rec.keys(t)
		})
	}
}
