package runbooks

import (
	"context"
	"errors"
	"fmt"

	"github.com/patchgate/patchgate/state"
)

// rollbacks keeps rollback records (see kindstore.go). Beside them: an
// index by cycle so the cycle's report finds its rollbacks, and a lock per
// host so two open rollbacks never restore the same host.
func (e *Engine) rollbacks() kindStore[Rollback, *Rollback] {
	return kindStore[Rollback, *Rollback]{e: e, kind: "rollback"}
}

func rollbackIndexPrefix(cycle string) string {
	return "runbooks/rollback/by-cycle/" + cycle + "/"
}
func rollbackHostLockKey(hostID string) string { return "runbooks/rollback/host/" + hostID }

// GetRollback returns a rollback, active or finished.
func (e *Engine) GetRollback(ctx context.Context, id string) (*Rollback, error) {
	return e.rollbacks().get(ctx, id)
}

// Rollbacks lists open rollbacks, and finished ones with finished set.
func (e *Engine) Rollbacks(ctx context.Context, finished bool) ([]*Rollback, error) {
	return e.rollbacks().list(ctx, finished)
}

// RollbacksOf lists the rollbacks of a cycle's backups, open or finished,
// for its report.
func (e *Engine) RollbacksOf(ctx context.Context, cycle string) ([]*Rollback, error) {
	recs, err := e.deps.Store.List(ctx, rollbackIndexPrefix(cycle))
	if err != nil {
		return nil, storeErr("list rollbacks of "+cycle, err)
	}
	var out []*Rollback
	for _, r := range recs {
		rb, err := e.GetRollback(ctx, string(r.Value))
		if ErrorCode(err) == CodeNotFound {
			continue // an index entry written by a request that crashed before its record
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rb)
	}
	return out, nil
}

// RollbackChat shows a rollback to people: one message per rollback,
// updated in place, events in its thread. A Chat that implements it gets
// rollbacks; delivery is at least once, keyed by (rollback, event Seq).
type RollbackChat interface {
	RollbackChanged(ctx context.Context, r *Rollback, events []Event) error
}

// deliverRollback appends the outbox to the rollback's audit stream, then
// hands new events to chat when it shows rollbacks.
func (e *Engine) deliverRollback(ctx context.Context, rb *Rollback) (delivered, error) {
	var chat func(context.Context, []Event) error
	if rc, ok := e.deps.Chat.(RollbackChat); ok {
		chat = func(ctx context.Context, fresh []Event) error { return rc.RollbackChanged(ctx, rb, fresh) }
	}
	return e.rollbacks().deliver(ctx, rb, chat)
}

// RollbackEvents reads a rollback's audit trail.
func (e *Engine) RollbackEvents(ctx context.Context, id string) ([]Event, error) {
	return e.rollbacks().events(ctx, id)
}

// archiveRollback frees the rollback's hosts, signs its final audit heads
// and moves it to the finished set; each part is idempotent.
func (e *Engine) archiveRollback(ctx context.Context, rb *Rollback) error {
	st := e.deps.Store
	for _, h := range rb.Hosts {
		key := rollbackHostLockKey(h.Host.ID)
		if r, err := st.Get(ctx, key); err == nil && string(r.Value) == rb.ID {
			if err := st.Delete(ctx, key, r.Version); err != nil && !errors.Is(err, state.ErrConflict) {
				return fmt.Errorf("free host %s: %w", h.Host.ID, err)
			}
		}
	}
	if err := e.rollbacks().archive(ctx, rb); err != nil {
		return err
	}
	e.log.Info("rollback archived", "rollback", rb.ID, "tenant", rb.Tenant, "status", string(rb.Status))
	return nil
}
