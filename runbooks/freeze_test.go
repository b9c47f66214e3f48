package runbooks

import (
	"testing"
	"time"
)

// TestFreezeNext: what a freeze does to Next's action, by action and by
// whether the cycle already recorded the freeze.
func TestFreezeNext(t *testing.T) {
	f := Freeze{Tenant: "acme", From: t0.Add(-time.Hour), Until: t0.Add(48 * time.Hour), Reason: "INC-1", Source: FreezeCommand}
	all := Freeze{Tenant: FreezeAll, From: t0.Add(-time.Hour), Until: t0.Add(time.Hour), Reason: "holiday", Source: FreezeConfig}
	other := Freeze{Tenant: "globex", From: t0.Add(-time.Hour), Until: t0.Add(48 * time.Hour), Reason: "theirs", Source: FreezeConfig}
	recorded := func(fr Freeze) func(*Cycle) { return func(c *Cycle) { c.Frozen = &fr } }
	tests := []struct {
		name string
		c    *Cycle
		fz   []Freeze
		now  time.Time
		want ActionKind
	}{
		{"preflight still runs (it changes nothing)", testCycle(nil), []Freeze{f}, t0, ActOpen},
		{"an environment stage does not open", testCycle(done("preflight")), []Freeze{f}, t0, ActFreezeHold},
		{"recorded once, then waits", testCycle(done("preflight"), recorded(f)), []Freeze{f}, t0, ActWait},
		{"a new freeze is recorded again", testCycle(done("preflight"), recorded(all)), []Freeze{f}, t0, ActFreezeHold},
		{"no backup starts", testCycle(with(done("preflight"), "nonprod", PhaseBackup)), []Freeze{all}, t0, ActFreezeHold},
		{"a running backup is polled", testCycle(with(done("preflight"), "nonprod", PhaseBackup), func(c *Cycle) { c.Stages[1].Backup.Handle = "b" }), []Freeze{f}, t0, ActPollBackup},
		{"gates that read still run", testCycle(with(done("preflight"), "nonprod", PhaseSensors)), []Freeze{f}, t0, ActSensors},
		{"another tenant's freeze does nothing", testCycle(with(done("preflight"), "nonprod", PhasePatch)), []Freeze{other}, t0, ActStartPatch},
		{"an ended freeze is recorded as ended", testCycle(with(done("preflight"), "nonprod", PhasePatch), recorded(all)), []Freeze{all}, t0.Add(time.Hour), ActFreezeEnd},
		{"a freeze not begun yet does nothing", testCycle(with(done("preflight"), "nonprod", PhasePatch)), []Freeze{{Tenant: "acme", From: t0.Add(time.Hour), Until: t0.Add(2 * time.Hour), Reason: "later"}}, t0, ActStartPatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NextUnderFreeze(tt.c, tt.now, tt.fz)
			if a.Kind != tt.want {
				t.Errorf("NextUnderFreeze = %s, want %s", a, tt.want)
			}
			if a.Kind == ActFreezeHold && (a.Freeze == nil || a.Until != a.Freeze.Until) {
				t.Errorf("hold carries %+v until %s", a.Freeze, a.Until)
			}
		})
	}
}
