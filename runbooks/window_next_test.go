package runbooks

import (
	"testing"
	"time"
)

// TestChangeWindowNext: what Next does with a production stage whose window
// is SUN 02:00-06:00 UTC with min_remaining 1h, at a given phase and time.
func TestChangeWindowNext(t *testing.T) {
	sun := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC) // a Sunday
	nextSun := sun.AddDate(0, 0, 7).Add(2 * time.Hour)
	at := func(h, m int) time.Time { return sun.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	prod := func(p Phase, mut ...func(*Stage)) *Cycle {
		return testCycle(with(done("preflight", "nonprod", "staging"), "production", p), func(c *Cycle) {
			s, _ := c.Stage("production")
			s.Window, s.MinRemaining = "SUN 02:00-06:00 UTC", time.Hour
			for _, m := range mut {
				m(s)
			}
		})
	}
	recorded := func(t time.Time) func(*Stage) { return func(s *Stage) { s.WindowWait = t } }
	sentBackup := func(s *Stage) { s.Backup = Op{Handle: "b", Done: true} }
	tests := []struct {
		name  string
		c     *Cycle
		now   time.Time
		kind  ActionKind
		until time.Time
	}{
		{"approved before the window: record the wait", prod(PhaseWindow), at(1, 0), ActWindowHold, sun.Add(2 * time.Hour)},
		{"wait already recorded: wait without I/O", prod(PhaseWindow, recorded(at(2, 0))), at(1, 59), ActWait, at(2, 0)},
		{"at the opening: go on", prod(PhaseWindow, recorded(at(2, 0))), at(2, 0), ActWindowOpen, time.Time{}},
		{"approved with 30m left: next week's opening", prod(PhaseWindow), at(5, 30), ActWindowHold, nextSun},
		{"backup with exactly min_remaining left starts", prod(PhaseBackup), at(5, 0), ActStartBackup, time.Time{}},
		{"backup with 59m left waits", prod(PhaseBackup), at(5, 1), ActWindowHold, nextSun},
		{"a sent backup is polled after the window closed", prod(PhaseBackup, func(s *Stage) { s.Backup = Op{Handle: "b"} }), at(7, 0), ActPollBackup, time.Time{}},
		{"patch after the window closed waits", prod(PhasePatch, sentBackup), at(6, 0), ActWindowHold, nextSun},
		{"a sent patch is polled after the window closed", prod(PhasePatch, func(s *Stage) { s.Patch = Op{Handle: "p"} }), at(9, 0), ActPollPatch, time.Time{}},
		{"health and sensors are not operations", prod(PhaseHealth), at(9, 0), ActHealth, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Next(tt.c, tt.now)
			if a.Kind == ActFlush {
				a = work(tt.c, tt.now)
			}
			if a.Kind != tt.kind || !a.Until.Equal(tt.until) {
				t.Errorf("Next = %s until %s, want %s until %s", a, a.Until, tt.kind, tt.until)
			}
		})
	}
}

// TestChangeWindowPhaseOnlyWithWindow: a stage without a window goes from
// approval straight to its gates, as records written before windows do.
func TestChangeWindowPhaseOnlyWithWindow(t *testing.T) {
	s := Stage{Kind: KindEnvironment, HealthGate: true}
	if got := s.phaseAfter(PhaseApproval); got != PhaseHealth {
		t.Errorf("without a window: approval → %s, want health", got)
	}
	s.Window = "SUN 02:00 4h"
	if got := s.phaseAfter(PhaseApproval); got != PhaseWindow {
		t.Errorf("with a window: approval → %s, want %s", got, PhaseWindow)
	}
}
