package runbooks

import (
	"testing"
	"time"
)

// TestApprovalExpiryNext: a stage awaiting approval with a 7-day TTL waits,
// reminds once at half-time, and expires at the TTL; halted cycles and
// stages without a TTL never expire.
func TestApprovalExpiryNext(t *testing.T) {
	ttl := 7 * 24 * time.Hour
	waiting := func(mut ...func(*Stage)) *Cycle {
		return testCycle(with(done("preflight"), "nonprod", PhaseApproval), func(c *Cycle) {
			s := &c.Stages[1]
			s.Started, s.ApprovalTTL = t0, ttl
			for _, m := range mut {
				m(s)
			}
		})
	}
	reminded := func(s *Stage) { s.Reminded = t0.Add(ttl / 2) }
	tests := []struct {
		name  string
		c     *Cycle
		now   time.Time
		want  ActionKind
		until time.Time
	}{
		{"fresh: wait until half-time", waiting(), t0.Add(time.Hour), ActWait, t0.Add(ttl / 2)},
		{"half-time: remind", waiting(), t0.Add(ttl / 2), ActRemind, time.Time{}},
		{"reminded: wait until expiry", waiting(reminded), t0.Add(ttl/2 + time.Hour), ActWait, t0.Add(ttl)},
		{"at the TTL: expire", waiting(reminded), t0.Add(ttl), ActExpire, time.Time{}},
		{"never reminded (down all along): expire", waiting(), t0.Add(ttl + time.Hour), ActExpire, time.Time{}},
		{"no TTL: wait forever", waiting(func(s *Stage) { s.ApprovalTTL = 0 }), t0.Add(100 * ttl), ActWait, time.Time{}},
		{"halted: no expiry", waiting(func(s *Stage) {}), t0.Add(2 * ttl), ActWait, time.Time{}},
	}
	tests[len(tests)-1].c.Status = StatusHalted
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := work(tt.c, tt.now)
			if a.Kind != tt.want || !a.Until.Equal(tt.until) {
				t.Errorf("work = %s until %s, want %s until %s", a, a.Until, tt.want, tt.until)
			}
		})
	}
	c := waiting()
	c.expire(1, t0.Add(ttl))
	if c.Status != StatusExpired || !c.Status.Terminal() || c.Ended != t0.Add(ttl) {
		t.Errorf("expired cycle: %s, ended %s", c.Status, c.Ended)
	}
	if a := work(c, t0.Add(ttl)); a.Kind != ActArchive && a.Kind != ActFlush {
		t.Errorf("expired cycle's next step %s, want flush or archive", a)
	}
}
