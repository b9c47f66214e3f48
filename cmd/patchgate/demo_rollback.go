package main

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

// rollBack is the SRE's answer to a stage whose post-patch health gate
// failed (the demo's acme-cu staging app breaks once patched): click "Roll
// back N hosts" on the cycle's message, approve the rollback on its own
// message, and once the hosts are back (rolled back, patch pending) retry
// the stage, which goes on without them. handled says the stage is in the
// rollback's hands; otherwise the usual repair applies.
func (p *slackPeople) rollBack(ctx context.Context, c *runbooks.Cycle, s runbooks.Stage) (handled bool, err error) {
	key := c.ID + "/" + s.Name + "/rollback"
	if ok, _ := runbooks.RollbackOffered(c, &s); !ok && !p.seen[key] {
		return false, nil
	}
	if !p.seen[key] {
		ok, err := p.click(ctx, c, demoSRE, s.Name, runbooks.RollBack)
		if ok && err == nil {
			p.seen[key] = true
		}
		return true, err
	}
	rbs, err := p.a.engine.RollbacksOf(ctx, c.ID)
	if err != nil || len(rbs) == 0 {
		return true, err
	}
	rb := rbs[len(rbs)-1]
	switch {
	case rb.Status == runbooks.RollbackAwaitingApproval:
		view := &runbooks.Cycle{ID: rb.ID, Tenant: rb.Tenant, Revision: rb.Revision}
		_, err := p.click(ctx, view, demoSRE, "rollback", runbooks.Approve)
		return true, err
	case rb.Status == runbooks.RollbackCompleted && rb.Marked:
		return false, nil // the hosts are back and excluded: retry the stage
	case rb.Status == runbooks.RollbackFailed || rb.Status == runbooks.RollbackRejected:
		return false, nil
	}
	return true, nil // restoring or checking: wait
}
