package bot

import (
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// updateKey sums up what of a cycle is worth updating its root message for.
// A change that leaves the key alone (one more host backed up, a gate
// passing on the way, the engine's bookkeeping) is not sent on its own; it
// shows with the next update that is. This is what keeps a cycle's Web API
// calls proportional to its stages rather than to hosts, polls or steps.
//
// What moves the key: the status, a stage starting, waiting, failing or
// finishing, an approval, the patch passing half-way, the scope, the
// report. The revision is part of the key only while the message shows
// buttons whose click must carry the current revision (approve, reject,
// retry, proceed, resume); Halt is accepted from any revision.
func updateKey(c *runbooks.Cycle) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", c.Status)
	if c.Halt != nil {
		fmt.Fprintf(&b, "/%s", c.Halt.By)
	}
	for _, s := range c.Stages {
		fmt.Fprintf(&b, "|%s:%s:%d", s.Name, phaseGroup(s.Phase), len(s.Approvals))
	}
	if s := currentStage(c); s != nil {
		fmt.Fprintf(&b, "|half%v", patchHalfway(s))
		if needsRevision(c, s) {
			fmt.Fprintf(&b, "|r%d", c.Revision)
		}
	}
	fmt.Fprintf(&b, "|scope%d/%d/%d", c.Scope.Hosts, c.Scope.Unmanaged, c.Scope.Excluded)
	if c.Report != nil {
		b.WriteString("|report")
	}
	return b.String()
}

// phaseGroup merges the phases a stage works through without waiting for
// anyone (health, sensors, backup, patch, verify): the message names the
// one it is in whenever it is sent, but moving between them is not worth
// an update of its own.
func phaseGroup(p runbooks.Phase) string {
	switch p {
	case runbooks.PhaseHealth, runbooks.PhaseSensors, runbooks.PhaseBackup, runbooks.PhasePatch, runbooks.PhaseVerify:
		return "work"
	}
	return string(p)
}

// patchHalfway reports whether the stage has patched at least half its
// hosts: the one point in a long operation that moves the message.
func patchHalfway(s *runbooks.Stage) bool {
	switch s.Phase {
	case runbooks.PhaseVerify:
		return true
	case runbooks.PhasePatch:
		return s.Patch.Total > 0 && 2*(s.Patch.Succeeded+s.Patch.Failed) >= s.Patch.Total
	}
	return false
}

// needsRevision reports whether the buttons rendered now carry a revision
// the engine checks.
func needsRevision(c *runbooks.Cycle, cur *runbooks.Stage) bool {
	return c.Status == runbooks.StatusHalted || cur.Phase == runbooks.PhaseApproval || failedStage(c) != nil
}

// passing reports whether the cycle is in a state the engine leaves at
// once, without waiting for anyone or any provider: a stage done and the
// next not opened yet, or every stage done and the cycle not closed yet.
// Such a state is not worth an update; the next one follows within a step.
func passing(c *runbooks.Cycle) bool {
	if c.Status != runbooks.StatusRunning {
		return false
	}
	s := currentStage(c)
	return s == nil || s.Phase == runbooks.PhasePending
}
