package runbooks

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// RollBack is the decision behind a cycle's "Roll back N hosts" button,
// offered when an environment's verify (patch, sensor or post-patch health)
// gate failed: it requests a rollback of that environment's hosts at fault,
// or all of them when the failure named none (a health problem).
const RollBack DecisionAction = "rollback"

// rollbackFromCycle turns the button's click into a rollback request; a
// click on an outdated message is refused as any decision is.
func (e *Engine) rollbackFromCycle(ctx context.Context, d Decision) (Outcome, error) {
	c, err := e.Get(ctx, d.Cycle)
	if err != nil {
		return Outcome{}, err
	}
	s, _ := c.Stage(d.Stage)
	switch {
	case s == nil || s.Kind != KindEnvironment:
		return Outcome{Cycle: c}, Errorf(CodeNotFound, "cycle %s has no environment %q", c.ID, d.Stage)
	case d.SeenRevision != 0 && d.SeenRevision != c.Revision:
		err := Errorf(CodeStale, "This message was out of date. It has been refreshed; look again before rolling back.")
		e.auditRefusal(ctx, c, d, e.person(ctx, d.Actor), err)
		return Outcome{Cycle: c}, err
	}
	req := RollbackRequest{Cycle: c.ID, Env: s.Env, Requester: d.Actor,
		Reason: fmt.Sprintf("Roll back button after %s failed", s.Name)}
	if s.Failure != nil {
		req.Reason += ": " + s.Failure.Reason
		for _, f := range s.Failure.Findings {
			req.Hosts = append(req.Hosts, f.HostID)
		}
	}
	rb, err := e.RequestRollback(ctx, req)
	if err != nil {
		return Outcome{Cycle: c}, err
	}
	return Outcome{Cycle: c, Rollback: rb, Message: rb.RequestedText()}, nil
}

// RequestedText says what a new rollback will do: which backup each host
// returns to, and who must approve it.
func (r *Rollback) RequestedText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Requested rollback %s of %d host(s) in %s to cycle %s's pre-patch backups; it needs %d approval(s) from %s approvers",
		r.ID, len(r.Hosts), r.Env, r.Cycle, r.MinApprovals, r.Env)
	if r.FourEyes {
		b.WriteString(" other than the requester (four eyes)")
	}
	b.WriteString(". Nothing is restored before that.")
	for _, h := range r.Hosts {
		fmt.Fprintf(&b, "\n• %s (%s) → %s %s taken %s by %s", hostLabel(h.Host), h.Host.Cloud, h.Backup.Kind, h.Backup.ID,
			h.Backup.TakenAt.UTC().Format(time.DateTime+"Z"), h.Backup.Cycle)
	}
	return b.String()
}

// RollbackOffered reports whether a cycle's message offers the "Roll back
// N hosts" button for stage s, and for how many hosts (0: every host of
// the environment with a backup).
func RollbackOffered(c *Cycle, s *Stage) (bool, int) {
	if s == nil || s.Kind != KindEnvironment || s.Phase != PhaseFailed || s.Failure == nil ||
		s.Failure.Phase != PhaseVerify || !s.Backup.Done || c.Status.Terminal() {
		return false, 0
	}
	return true, len(s.Failure.Findings)
}
