package runbooks

import (
	"fmt"
	"strings"
	"time"
)

// The methods below are the only ways a cycle's stages change. They are pure
// (the clock is an argument) and each emits the audit event that explains it.

// open starts stage i.
func (c *Cycle) open(i int, now time.Time) {
	s := &c.Stages[i]
	s.Phase = s.phaseAfter(PhasePending)
	s.Started = now
	detail := "started"
	if s.Phase == PhaseApproval {
		detail = fmt.Sprintf("awaiting %d approval(s)", s.MinApprovals)
	}
	c.emit(now, s.Name, EvStageOpened, ActorSystem, detail, nil)
}

// advance moves stage i past its current phase.
func (c *Cycle) advance(i int, now time.Time) {
	s := &c.Stages[i]
	s.Phase = s.phaseAfter(s.Phase)
	s.Errors, s.LastError = 0, ""
	switch s.Phase {
	case PhaseSoak:
		s.SoakUntil = now.Add(s.Soak)
		c.emit(now, s.Name, EvSoakStarted, ActorSystem, "soak until "+s.SoakUntil.UTC().Format(time.RFC3339), nil)
	case PhaseDone:
		s.Done = now
		c.emit(now, s.Name, EvStageDone, ActorSystem, "", nil)
	}
}

// gate records a gate outcome on stage i.
func (c *Cycle) gate(i int, now time.Time, g Gate) {
	s := &c.Stages[i]
	g.At = now
	s.Gates = append(s.Gates, g)
	typ := EvGatePassed
	if !g.Passed {
		typ = EvGateFailed
	}
	c.emit(now, s.Name, typ, ActorSystem, g.Name+": "+g.Summary, map[string]string{"gate": g.Name, "findings": fmt.Sprint(len(g.Findings))})
}

// fail stops stage i at its current phase and halts the cycle. The incident
// key is fixed per cycle and stage so every retry pages the same incident.
func (c *Cycle) fail(i int, now time.Time, reason string, findings []Finding) {
	c.failWith(i, now, reason, findings, nil)
}

// failWith is fail with extra details on the stage.failed event (the raw
// provider error).
func (c *Cycle) failWith(i int, now time.Time, reason string, findings []Finding, extra map[string]string) {
	s := &c.Stages[i]
	s.Failure = &Failure{Phase: s.Phase, At: now, Reason: reason, Findings: findings}
	s.Phase = PhaseFailed
	s.Incident.Key = IncidentKey(c.ID, s.Name)
	// A stage that fails again after a retry pages again, under the same
	// key, so the on-call person learns the retry did not help.
	s.Incident.Triggered, s.Incident.Acknowledged, s.Incident.Resolved, s.Incident.AckWanted = false, false, false, false
	c.Status = StatusHalted
	c.Halt = &Halt{By: ActorSystem, At: now, Reason: s.Name + ": " + reason}
	data := map[string]string{"phase": string(s.Failure.Phase), "hosts": hostList(findings, 20)}
	for k, v := range extra {
		data[k] = v
	}
	c.emit(now, s.Name, EvStageFailed, ActorSystem, reason, data)
}

// IncidentKey is the pager dedup key of a stage of a cycle.
func IncidentKey(cycleID, stage string) string { return "patchgate/" + cycleID + "/" + stage }

// hostList names up to max hosts, for event details.
func hostList(fs []Finding, max int) string {
	names := make([]string, 0, len(fs))
	for i, f := range fs {
		if i == max {
			names = append(names, fmt.Sprintf("… %d more", len(fs)-max))
			break
		}
		n := f.HostName
		if n == "" {
			n = f.HostID
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}
