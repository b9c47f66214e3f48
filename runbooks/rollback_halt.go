package runbooks

import (
	"fmt"
	"strings"
	"time"
)

// A halted rollback starts no new restore. A host's restore already sent
// runs to its end, because stopping between its steps (a boot disk
// detached, the restored one not yet attached) would leave the machine
// unbootable; each finished one is reported as usual. Once nothing runs,
// the rollback waits halted until an approver resumes or rejects it.

// haltRollback records a person's halt; before any restore was sent the
// rollback stops at once.
func haltRollback(n *Rollback, who Person, reason string, now time.Time) string {
	n.Halt = &Halt{By: who.ID, At: now, Reason: orDefault(reason, "halted by hand")}
	running := 0
	for _, h := range n.Hosts {
		if h.Restore.Sent() && !h.Restore.Done {
			running++
		}
	}
	if n.Status == RollbackAwaitingApproval || running == 0 {
		n.Status = RollbackHalted
		n.emitBy(now, "", EvRollbackHalted, who, "halted: "+haltSummary(n), map[string]string{"by": who.ID})
		return "Halted; no restore was running. Resume or reject when ready."
	}
	n.emitBy(now, "", EvRollbackHalting, who, fmt.Sprintf("halt requested (%s): no new restore starts; %d running restore(s) finish and are reported",
		n.Halt.Reason, running), map[string]string{"running": fmt.Sprint(running)})
	return fmt.Sprintf("Halting: no new restore starts; %d running restore(s) finish first and are reported.", running)
}

// resumeRollback lifts a halt: restores start again, or the rollback goes
// back to waiting for approvals it did not yet have.
func resumeRollback(n *Rollback, who Person, now time.Time) string {
	n.Halt = nil
	n.Status = RollbackRestoring
	if len(n.Approvals) < n.MinApprovals {
		n.Status = RollbackAwaitingApproval
	}
	n.emitBy(now, "", EvRollbackResumed, who, "resumed: "+string(n.Status), nil)
	return fmt.Sprintf("Resumed; the rollback is %s again.", strings.ReplaceAll(string(n.Status), "_", " "))
}

func unsentHosts(n *Rollback) int {
	k := 0
	for _, h := range n.Hosts {
		if !h.Restore.Sent() {
			k++
		}
	}
	return k
}

// haltSummary says which hosts were restored and which not started.
func haltSummary(n *Rollback) string {
	var done, waiting []string
	for _, h := range n.Hosts {
		switch {
		case h.Restore.Done:
			done = append(done, hostLabel(h.Host))
		case !h.Restore.Sent():
			waiting = append(waiting, hostLabel(h.Host))
		}
	}
	return fmt.Sprintf("%d host(s) restored [%s], %d not started [%s]; resume or reject",
		len(done), strings.Join(done, ", "), len(waiting), strings.Join(waiting, ", "))
}
