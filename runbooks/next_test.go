package runbooks

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)

// testCycle is a cycle planned with the default pipeline, each stage in the
// given phase (stages not named stay pending).
func testCycle(phases map[string]Phase, mut ...func(*Cycle)) *Cycle {
	e := &Engine{pipeline: DefaultPipeline()}
	c := e.plan(Tenant{Name: "acme", Environments: []Environment{{Name: "nonprod"}, {Name: "staging"}, {Name: "production"}}}, "U1")
	c.ID = "acme-1"
	for i := range c.Stages {
		if p, ok := phases[c.Stages[i].Name]; ok {
			c.Stages[i].Phase = p
		}
	}
	for _, m := range mut {
		m(c)
	}
	return c
}

func done(names ...string) map[string]Phase {
	m := map[string]Phase{}
	for _, n := range names {
		m[n] = PhaseDone
	}
	return m
}

func with(m map[string]Phase, stage string, p Phase) map[string]Phase {
	m[stage] = p
	return m
}

func TestNext(t *testing.T) {
	failed := func(stage string, phase Phase) func(*Cycle) {
		return func(c *Cycle) {
			s, _ := c.Stage(stage)
			s.Phase = PhaseFailed
			s.Failure = &Failure{Phase: phase, Reason: "boom"}
			c.Status = StatusHalted
		}
	}
	tests := []struct {
		name string
		c    *Cycle
		now  time.Time
		want Action
	}{
		{"new cycle opens preflight", testCycle(nil), t0, Action{Kind: ActOpen, Stage: 0}},
		{"preflight runs inventory", testCycle(with(map[string]Phase{}, "preflight", PhaseInventory)), t0, Action{Kind: ActInventory, Stage: 0}},
		{"nonprod opens after preflight", testCycle(done("preflight")), t0, Action{Kind: ActOpen, Stage: 1}},
		{"nonprod waits for approval", testCycle(with(done("preflight"), "nonprod", PhaseApproval)), t0, Action{Kind: ActWait, Stage: 1, Reason: "awaiting approval 0/1"}},
		{"health gate", testCycle(with(done("preflight", "nonprod", "staging"), "production", PhaseHealth)), t0, Action{Kind: ActHealth, Stage: 3}},
		{"sensor gate", testCycle(with(done("preflight"), "nonprod", PhaseSensors)), t0, Action{Kind: ActSensors, Stage: 1}},
		{"backup not started", testCycle(with(done("preflight"), "nonprod", PhaseBackup)), t0, Action{Kind: ActStartBackup, Stage: 1}},
		{"backup started is polled", testCycle(with(done("preflight"), "nonprod", PhaseBackup), func(c *Cycle) { c.Stages[1].Backup.Handle = "b-1" }), t0, Action{Kind: ActPollBackup, Stage: 1}},
		{"patch not started", testCycle(with(done("preflight"), "nonprod", PhasePatch)), t0, Action{Kind: ActStartPatch, Stage: 1}},
		{"patch started is polled", testCycle(with(done("preflight"), "nonprod", PhasePatch), func(c *Cycle) { c.Stages[1].Patch.Handle = "p-1" }), t0, Action{Kind: ActPollPatch, Stage: 1}},
		{"verify", testCycle(with(done("preflight"), "nonprod", PhaseVerify)), t0, Action{Kind: ActVerify, Stage: 1}},
		{"soak not over waits until its end", testCycle(with(done("preflight", "nonprod"), "staging", PhaseSoak), func(c *Cycle) { c.Stages[2].SoakUntil = t0.Add(time.Hour) }), t0,
			Action{Kind: ActWait, Stage: 2, Until: t0.Add(time.Hour), Reason: "soaking"}},
		{"soak over", testCycle(with(done("preflight", "nonprod"), "staging", PhaseSoak), func(c *Cycle) { c.Stages[2].SoakUntil = t0.Add(time.Hour) }), t0.Add(time.Hour),
			Action{Kind: ActSoakDone, Stage: 2}},
		{"production stays pending during soak", testCycle(with(done("preflight", "nonprod"), "staging", PhaseSoak), func(c *Cycle) { c.Stages[2].SoakUntil = t0.Add(time.Hour) }), t0.Add(time.Minute),
			Action{Kind: ActWait, Stage: 2, Until: t0.Add(time.Hour), Reason: "soaking"}},
		{"report", testCycle(with(done("preflight", "nonprod", "staging", "production"), "report", PhaseReport)), t0, Action{Kind: ActReport, Stage: 4}},
		{"all done completes", testCycle(done("preflight", "nonprod", "staging", "production", "report")), t0, Action{Kind: ActComplete, Stage: -1}},
		{"completed is archived", testCycle(nil, func(c *Cycle) { c.Status = StatusCompleted }), t0, Action{Kind: ActArchive, Stage: -1}},
		{"rejected is archived", testCycle(nil, func(c *Cycle) { c.Status = StatusRejected }), t0, Action{Kind: ActArchive, Stage: -1}},
		{"finished with undelivered events flushes first", testCycle(nil, func(c *Cycle) { c.Status = StatusCompleted; c.Revision = 3; c.Notified = 2 }), t0, Action{Kind: ActFlush, Stage: -1}},
		{"halted by hand waits", testCycle(done("preflight"), func(c *Cycle) { c.Status = StatusHalted; c.Halt = &Halt{Reason: "change freeze"} }), t0,
			Action{Kind: ActWait, Stage: -1, Reason: "halted: change freeze"}},
		{"failed stage pages first", testCycle(done("preflight"), failed("nonprod", PhasePatch)), t0, Action{Kind: ActPage, Stage: 1}},
		{"paged failure waits for a person", testCycle(done("preflight"), failed("nonprod", PhasePatch), func(c *Cycle) { c.Stages[1].Incident.Triggered = true }), t0,
			Action{Kind: ActWait, Stage: -1, Reason: "halted"}},
		{"ack wanted after retry", testCycle(with(done("preflight"), "nonprod", PhasePatch), func(c *Cycle) { c.Stages[1].Incident = Incident{Triggered: true, AckWanted: true} }), t0,
			Action{Kind: ActAck, Stage: 1}},
		{"acked incident lets work go on", testCycle(with(done("preflight"), "nonprod", PhasePatch), func(c *Cycle) {
			c.Stages[1].Incident = Incident{Triggered: true, AckWanted: true, Acknowledged: true}
		}), t0, Action{Kind: ActStartPatch, Stage: 1}},
		{"recovered stage resolves its incident", testCycle(done("preflight", "nonprod"), func(c *Cycle) { c.Stages[1].Incident = Incident{Triggered: true, Acknowledged: true} }), t0,
			Action{Kind: ActResolve, Stage: 1}},
		{"resolved incident is left alone", testCycle(done("preflight", "nonprod"), func(c *Cycle) { c.Stages[1].Incident = Incident{Triggered: true, Resolved: true} }), t0,
			Action{Kind: ActOpen, Stage: 2}},
		{"rejected cycle closes its open page", testCycle(done("preflight"), failed("nonprod", PhaseHealth), func(c *Cycle) {
			c.Status = StatusRejected
			c.Stages[1].Incident.Triggered = true
		}), t0, Action{Kind: ActResolve, Stage: 1}},
		{"rejected before paging does not page", testCycle(done("preflight"), failed("nonprod", PhaseHealth), func(c *Cycle) { c.Status = StatusRejected }), t0,
			Action{Kind: ActArchive, Stage: -1}},
		{"waiting with an outbox flushes", testCycle(with(done("preflight"), "nonprod", PhaseApproval), func(c *Cycle) { c.Revision = 1; c.Outbox = []Event{{Seq: 1}} }), t0,
			Action{Kind: ActFlush, Stage: -1, Reason: "awaiting approval 0/1"}},
		{"running with a failed stage waits", testCycle(done("preflight"), failed("nonprod", PhasePatch), func(c *Cycle) {
			c.Status = StatusRunning
			c.Stages[1].Incident.Triggered = true
		}), t0, Action{Kind: ActWait, Stage: 1, Reason: "stage failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Next(tt.c, tt.now)
			if got != tt.want {
				t.Fatalf("Next = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPhaseAfter(t *testing.T) {
	full := Stage{Kind: KindEnvironment, HealthGate: true, SensorGate: true, Soak: time.Hour}
	bare := Stage{Kind: KindEnvironment}
	tests := []struct {
		s    Stage
		from Phase
		want Phase
	}{
		{full, PhasePending, PhaseApproval},
		{full, PhaseApproval, PhaseHealth},
		{full, PhaseHealth, PhaseSensors},
		{full, PhaseSensors, PhaseBackup},
		{full, PhaseBackup, PhasePatch},
		{full, PhasePatch, PhaseVerify},
		{full, PhaseVerify, PhaseSoak},
		{full, PhaseSoak, PhaseDone},
		{bare, PhaseApproval, PhaseBackup},
		{bare, PhaseVerify, PhaseDone},
		{Stage{Kind: KindPreflight}, PhasePending, PhaseInventory},
		{Stage{Kind: KindPreflight}, PhaseInventory, PhaseDone},
		{Stage{Kind: KindReport}, PhasePending, PhaseReport},
		{Stage{Kind: KindReport}, PhaseReport, PhaseDone},
	}
	for _, tt := range tests {
		if got := tt.s.phaseAfter(tt.from); got != tt.want {
			t.Errorf("%+v after %s = %s, want %s", tt.s.Kind, tt.from, got, tt.want)
		}
	}
}
