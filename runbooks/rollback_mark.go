package runbooks

import (
	"context"
	"errors"
	"fmt"

	"github.com/patchgate/patchgate/state"
)

// markCycle records on the cycle that the restored hosts are "rolled back,
// patch pending": they become exclusions of the environment's stage, with
// that reason, so the stage's verify (retried by a person) and the cycle's
// patch evidence leave them out and say why. A cycle already archived
// made its report before the rollback; the rollback's own record and the
// report regenerated with `patchgate report` show it.
func (e *Engine) markCycle(ctx context.Context, n *Rollback) (bool, error) {
	now := e.now()
	for range 32 {
		c, err := e.getActive(ctx, n.Cycle)
		if ErrorCode(err) == CodeNotFound {
			n.Marked = true
			n.emit(now, "", EvRollbackMarked, ActorSystem, fmt.Sprintf("cycle %s had already finished; its archived report predates this rollback", n.Cycle), map[string]string{"cycle": n.Cycle})
			return true, nil
		}
		if err != nil {
			return false, err
		}
		m := c.Clone()
		s, _ := m.Stage(n.Env)
		if s == nil {
			return false, Errorf(CodeBlocked, "cycle %s has no stage %s any more", n.Cycle, n.Env)
		}
		var added []Finding
		for _, f := range n.PatchPending() {
			if !s.Excluded(f.HostID) {
				added = append(added, f)
			}
		}
		if len(added) > 0 {
			s.Exclusions = append(s.Exclusions, added...)
			m.Scope.Excluded += len(added)
			m.emit(now, s.Name, EvExclusions, ActorSystem, fmt.Sprintf("rolled back, patch pending: %d host(s) by %s: %s", len(added), n.ID, hostList(added, 20)),
				map[string]string{"hosts": hostList(added, 1000), "reason": "rolled back, patch pending", "rollback": n.ID})
			err = e.save(ctx, nil, m)
			if errors.Is(err, state.ErrConflict) {
				continue
			}
			if err != nil {
				return false, err
			}
			if _, err := e.deliver(ctx, m); err != nil {
				e.log.Warn("deliver cycle events", "cycle", m.ID, "err", err)
			}
		}
		n.Marked = true
		n.emit(now, "", EvRollbackMarked, ActorSystem, fmt.Sprintf("%d host(s) marked rolled back, patch pending in %s (%s)", len(added), n.Cycle, n.Env),
			map[string]string{"cycle": n.Cycle, "hosts": hostList(added, 1000)})
		return true, nil
	}
	return false, Errorf(CodeUnavailable, "cycle %s is changing too fast to mark", n.Cycle)
}
