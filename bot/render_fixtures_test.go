package bot

import (
	"fmt"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// People and times of the rendering fixtures.
const (
	fxRequester = "U0REQ"
	fxAlice     = "U0ALICE"
	fxBob       = "U0BOB"
	fxCycle     = "acme-cu-20261122-0200-a1b2c3"
)

var fxStart = time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)

func fxAt(d time.Duration) time.Time { return fxStart.Add(d) }

// fxCycleAt builds the fixture cycle of tenant acme-cu with every stage
// before cur done, cur in phase, and the rest pending. Preflight found 3
// unmanaged hosts and a person went on without them, so the scope shows
// both counts.
func fxCycleAt(cur string, phase runbooks.Phase) *runbooks.Cycle {
	c := &runbooks.Cycle{
		ID: fxCycle, Tenant: "acme-cu", Requester: fxRequester, Created: fxStart,
		Status: runbooks.StatusRunning, Revision: 30, Version: 90,
		Scope: runbooks.Scope{Hosts: 2400, Unmanaged: 3, Excluded: 3,
			ByCloud: map[runbooks.Cloud]int{runbooks.AWS: 1000, runbooks.Azure: 800, runbooks.GCP: 600}},
		Stages: []runbooks.Stage{
			{Name: "preflight", Kind: runbooks.KindPreflight},
			{Name: "nonprod", Kind: runbooks.KindEnvironment, Env: "nonprod", MinApprovals: 1, SensorGate: true},
			{Name: "staging", Kind: runbooks.KindEnvironment, Env: "staging", MinApprovals: 1, SensorGate: true, Soak: 24 * time.Hour},
			{Name: "production", Kind: runbooks.KindEnvironment, Env: "production", MinApprovals: 2, FourEyes: true,
				SensorGate: true, HealthGate: true},
			{Name: "report", Kind: runbooks.KindReport},
		},
	}
	reached := false
	for i := range c.Stages {
		s := &c.Stages[i]
		switch {
		case s.Name == cur:
			s.Phase, reached = phase, true
			s.Started = fxAt(time.Duration(i) * time.Hour)
		case reached:
			s.Phase = runbooks.PhasePending
		default:
			s.Phase = runbooks.PhaseDone
			s.Done = fxAt(time.Duration(i)*time.Hour + 50*time.Minute)
			if s.Kind == runbooks.KindEnvironment {
				s.Approvals = []runbooks.Approval{{By: fxAlice, At: fxAt(time.Duration(i) * time.Hour)}}
			}
		}
	}
	return c
}

// fxFindings are n hosts a gate found at fault.
func fxFindings(n int, reason string) []runbooks.Finding {
	out := make([]runbooks.Finding, n)
	for i := range out {
		out[i] = runbooks.Finding{
			HostID:   fmt.Sprintf("i-0%015x", 0xa11ce0+i),
			HostName: fmt.Sprintf("acme-cu-nonprod-app-%02d", i+1),
			Reason:   reason,
		}
	}
	return out
}

// fxEvent is an engine event of the fixture cycle.
func fxEvent(seq int64, at time.Time, stage, typ, actor, detail string, data map[string]string) runbooks.Event {
	return runbooks.Event{Seq: seq, At: at, Cycle: fxCycle, Tenant: "acme-cu", Stage: stage, Type: typ,
		Actor: actor, Detail: detail, Data: data}
}

// fxFailed is the fixture cycle with nonprod failed at gate after n
// findings, paged, as the engine leaves it, and the events that said so.
func fxFailed(gate runbooks.Phase, n int, summary, reason, why string) (*runbooks.Cycle, []runbooks.Event) {
	c := fxCycleAt("nonprod", runbooks.PhaseFailed)
	at := fxAt(75 * time.Minute)
	s := &c.Stages[1]
	s.Approvals = []runbooks.Approval{{By: fxAlice, At: fxAt(70 * time.Minute)}}
	fs := fxFindings(n, why)
	s.Gates = []runbooks.Gate{{Name: string(gate), Passed: false, At: at, Summary: summary, Findings: fs}}
	s.Failure = &runbooks.Failure{Phase: gate, At: at, Reason: reason, Findings: fs}
	s.Incident = runbooks.Incident{Key: runbooks.IncidentKey(fxCycle, "nonprod"), Triggered: true}
	c.Status = runbooks.StatusHalted
	c.Halt = &runbooks.Halt{By: runbooks.ActorSystem, At: at, Reason: "nonprod: " + reason}
	evs := []runbooks.Event{
		fxEvent(21, at, "nonprod", runbooks.EvGateFailed, runbooks.ActorSystem, string(gate)+": "+summary,
			map[string]string{"gate": string(gate), "findings": fmt.Sprint(n)}),
		fxEvent(22, at, "nonprod", runbooks.EvStageFailed, runbooks.ActorSystem, reason,
			map[string]string{"phase": string(gate), "hosts": "acme-cu-nonprod-app-01, …"}),
	}
	return c, evs
}
