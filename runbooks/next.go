package runbooks

import (
	"fmt"
	"time"
)

// ActionKind is the one next step the engine takes for a cycle.
type ActionKind string

const (
	ActNone        ActionKind = "none"  // finished, nothing left
	ActWait        ActionKind = "wait"  // a person or the clock must act first
	ActFlush       ActionKind = "flush" // only the outbox needs delivering
	ActOpen        ActionKind = "open"  // start the stage
	ActInventory   ActionKind = "inventory"
	ActHealth      ActionKind = "health"
	ActSensors     ActionKind = "sensors"
	ActStartBackup ActionKind = "start_backup"
	ActPollBackup  ActionKind = "poll_backup"
	ActStartPatch  ActionKind = "start_patch"
	ActPollPatch   ActionKind = "poll_patch"
	ActVerify      ActionKind = "verify"
	ActSoakDone    ActionKind = "soak_done"
	ActReport      ActionKind = "report"
	ActComplete    ActionKind = "complete"
	ActPage        ActionKind = "page"
	ActAck         ActionKind = "ack"
	ActResolve     ActionKind = "resolve"
	ActArchive     ActionKind = "archive"     // move a finished cycle out of the active set
	ActChange      ActionKind = "change"      // create, move, look at or close the change record
	ActWindowOpen  ActionKind = "window_open" // the stage's change window opened: go on
	ActWindowHold  ActionKind = "window_hold" // record that the stage waits for its window
	ActFreezeHold  ActionKind = "freeze_hold" // record that a freeze holds the cycle
	ActFreezeEnd   ActionKind = "freeze_end"  // record that the freeze holding it ended
	ActRemind      ActionKind = "remind"      // remind the approvers at half the approval TTL
	ActExpire      ActionKind = "expire"      // close the cycle: the approval TTL passed
)

// Action is what Next decided. Stage indexes Cycle.Stages (-1 when the action
// is about the whole cycle); Until is set on waits that end by the clock.
type Action struct {
	Kind   ActionKind
	Stage  int
	Until  time.Time
	Reason string
	// Freeze is the freeze an ActFreezeHold records.
	Freeze *Freeze
}

// NeedsIO reports whether executing the action calls a provider or writes;
// the engine leases a cycle only for those.
func (a Action) NeedsIO() bool { return a.Kind != ActNone && a.Kind != ActWait }

func (a Action) String() string {
	if a.Reason != "" {
		return fmt.Sprintf("%s[%d]: %s", a.Kind, a.Stage, a.Reason)
	}
	return fmt.Sprintf("%s[%d]", a.Kind, a.Stage)
}

// Next is the engine's whole decision: given a cycle record and the clock,
// the one next step. It does no I/O, so every state is table-tested, and a
// record left anywhere by a crash is simply reconciled from where it is.
func Next(c *Cycle, now time.Time) Action {
	// Incidents come first: a page must go out even while the cycle waits
	// for a person, and a recovered stage's incident must be closed.
	for i := range c.Stages {
		s := &c.Stages[i]
		switch {
		case s.Failure != nil && !s.Incident.Triggered && !c.Status.Terminal():
			return Action{Kind: ActPage, Stage: i}
		case s.Incident.Triggered && s.Incident.AckWanted && !s.Incident.Acknowledged && !s.Incident.Resolved && !c.Status.Terminal():
			return Action{Kind: ActAck, Stage: i}
		case s.Incident.Triggered && !s.Incident.Resolved && (s.Phase == PhaseDone || c.Status.Terminal()):
			// A stage that recovered, or a cycle closed by a person,
			// closes its page.
			return Action{Kind: ActResolve, Stage: i}
		}
	}
	a := work(c, now)
	if (a.Kind == ActWait || a.Kind == ActNone) && c.pendingDelivery() {
		return Action{Kind: ActFlush, Stage: -1, Until: a.Until, Reason: a.Reason}
	}
	return a
}

// work is Next without incidents and delivery.
func work(c *Cycle, now time.Time) Action {
	if a, ok := changeAction(c, now); ok {
		return a
	}
	switch c.Status {
	case StatusCompleted, StatusRejected, StatusExpired:
		if c.pendingDelivery() {
			return Action{Kind: ActFlush, Stage: -1}
		}
		return Action{Kind: ActArchive, Stage: -1}
	case StatusHalted:
		reason := "halted"
		if c.Halt != nil {
			reason = "halted: " + c.Halt.Reason
		}
		return Action{Kind: ActWait, Stage: -1, Reason: reason}
	}
	i := c.Current()
	if i < 0 {
		return Action{Kind: ActComplete, Stage: -1}
	}
	s := &c.Stages[i]
	switch s.Phase {
	case PhasePending:
		if a, hold := changeHold(c, i, now); hold {
			return a
		}
		return Action{Kind: ActOpen, Stage: i}
	case PhaseApproval:
		if a, ok := s.approvalDeadline(i, now); ok {
			return a
		}
		return Action{Kind: ActWait, Stage: i, Reason: fmt.Sprintf("awaiting approval %d/%d", len(s.Approvals), s.MinApprovals)}
	case PhaseWindow:
		if a, held := s.windowGate(i, now, "the stage"); held {
			return a
		}
		return Action{Kind: ActWindowOpen, Stage: i}
	case PhaseInventory:
		return Action{Kind: ActInventory, Stage: i}
	case PhaseHealth:
		return Action{Kind: ActHealth, Stage: i}
	case PhaseSensors:
		return Action{Kind: ActSensors, Stage: i}
	case PhaseBackup:
		if !s.Backup.Sent() {
			if a, held := s.windowGate(i, now, "the backup"); held {
				return a
			}
			return Action{Kind: ActStartBackup, Stage: i}
		}
		return Action{Kind: ActPollBackup, Stage: i}
	case PhasePatch:
		if !s.Patch.Sent() {
			if a, held := s.windowGate(i, now, "patching"); held {
				return a
			}
			return Action{Kind: ActStartPatch, Stage: i}
		}
		return Action{Kind: ActPollPatch, Stage: i}
	case PhaseVerify:
		return Action{Kind: ActVerify, Stage: i}
	case PhaseSoak:
		if !now.Before(s.SoakUntil) || s.Waived(WaiveSoak) {
			return Action{Kind: ActSoakDone, Stage: i}
		}
		return Action{Kind: ActWait, Stage: i, Until: s.SoakUntil, Reason: "soaking"}
	case PhaseReport:
		return Action{Kind: ActReport, Stage: i}
	case PhaseFailed:
		// A failed stage halts the cycle; a running cycle with a failed
		// stage can only come from a hand-edited record. Wait for a person.
		return Action{Kind: ActWait, Stage: i, Reason: "stage failed"}
	}
	return Action{Kind: ActWait, Stage: i, Reason: "unknown phase " + string(s.Phase)}
}

// pendingDelivery reports whether events still wait for the audit stream or
// chat.
func (c *Cycle) pendingDelivery() bool { return len(c.Outbox) > 0 || c.Notified < c.Revision }

// envPhases is the order an environment stage walks.
var envPhases = []Phase{PhaseApproval, PhaseWindow, PhaseHealth, PhaseSensors, PhaseBackup, PhasePatch, PhaseVerify, PhaseSoak, PhaseDone}

// phaseAfter returns the phase that follows p in s, skipping gates the stage
// does not have.
func (s *Stage) phaseAfter(p Phase) Phase {
	switch s.Kind {
	case KindPreflight, KindReport:
		if p == PhasePending {
			if s.Kind == KindPreflight {
				return PhaseInventory
			}
			return PhaseReport
		}
		return PhaseDone
	}
	if p == PhasePending {
		return PhaseApproval
	}
	for i, q := range envPhases {
		if q != p {
			continue
		}
		for _, n := range envPhases[i+1:] {
			if s.has(n) {
				return n
			}
		}
	}
	return PhaseDone
}

// has reports whether the stage includes the optional phase p.
func (s *Stage) has(p Phase) bool {
	switch p {
	case PhaseHealth:
		return s.HealthGate
	case PhaseSensors:
		return s.SensorGate
	case PhaseSoak:
		return s.Soak > 0 && !s.Waived(WaiveSoak)
	case PhaseWindow:
		return s.Window != "" && !s.Waived(WaiveWindow)
	}
	return true
}
