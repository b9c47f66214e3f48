package runbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/patchgate/patchgate/state"
)

// Rollback store keys: active and finished records apart (as cycles), an
// index by cycle so the cycle's report finds its rollbacks, and a lock per
// host so two open rollbacks never restore the same host.
const (
	rollbackActivePrefix = "runbooks/rollback/active/"
	rollbackDonePrefix   = "runbooks/rollback/done/"
)

func rollbackActiveKey(id string) string { return rollbackActivePrefix + id }
func rollbackDoneKey(id string) string   { return rollbackDonePrefix + id }
func rollbackIndexPrefix(cycle string) string {
	return "runbooks/rollback/by-cycle/" + cycle + "/"
}
func rollbackHostLockKey(hostID string) string { return "runbooks/rollback/host/" + hostID }

func decodeRollback(r state.Record) (*Rollback, error) {
	var rb Rollback
	if err := json.Unmarshal(r.Value, &rb); err != nil {
		return nil, fmt.Errorf("decode rollback record %s: %w", r.Key, err)
	}
	rb.Version = r.Version
	return &rb, nil
}

// GetRollback returns a rollback, active or finished.
func (e *Engine) GetRollback(ctx context.Context, id string) (*Rollback, error) {
	for _, key := range []string{rollbackActiveKey(id), rollbackDoneKey(id)} {
		r, err := e.deps.Store.Get(ctx, key)
		if errors.Is(err, state.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, storeErr("read rollback "+id, err)
		}
		return decodeRollback(r)
	}
	return nil, Errorf(CodeNotFound, "no rollback %q", id)
}

func (e *Engine) getActiveRollback(ctx context.Context, id string) (*Rollback, error) {
	r, err := e.deps.Store.Get(ctx, rollbackActiveKey(id))
	if errors.Is(err, state.ErrNotFound) {
		return nil, Errorf(CodeNotFound, "no open rollback %q", id)
	}
	if err != nil {
		return nil, storeErr("read rollback "+id, err)
	}
	return decodeRollback(r)
}

// Rollbacks lists open rollbacks, and finished ones with finished set.
func (e *Engine) Rollbacks(ctx context.Context, finished bool) ([]*Rollback, error) {
	prefix := rollbackActivePrefix
	if finished {
		prefix = rollbackDonePrefix
	}
	recs, err := e.deps.Store.List(ctx, prefix)
	if err != nil {
		return nil, storeErr("list rollbacks", err)
	}
	out := make([]*Rollback, 0, len(recs))
	for _, r := range recs {
		rb, err := decodeRollback(r)
		if err != nil {
			return nil, err
		}
		out = append(out, rb)
	}
	return out, nil
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

// saveRollback writes rb over the version it was read at, fenced by lease
// when one is given.
func (e *Engine) saveRollback(ctx context.Context, lease *state.Lease, rb *Rollback) error {
	b, err := json.Marshal(rb)
	if err != nil {
		return fmt.Errorf("encode rollback %s: %w", rb.ID, err)
	}
	var r state.Record
	if lease != nil {
		r, err = e.deps.Store.UpdateFenced(ctx, *lease, rollbackActiveKey(rb.ID), b, rb.Version)
	} else {
		r, err = e.deps.Store.Update(ctx, rollbackActiveKey(rb.ID), b, rb.Version)
	}
	if err != nil {
		return err
	}
	rb.Version = r.Version
	return nil
}

// RollbackChat shows a rollback to people: one message per rollback,
// updated in place, events in its thread. A Chat that implements it gets
// rollbacks; delivery is at least once, keyed by (rollback, event Seq).
type RollbackChat interface {
	RollbackChanged(ctx context.Context, r *Rollback, events []Event) error
}

// deliverRollback appends the outbox to the rollback's audit stream, each
// event at its own sequence, then hands new events to chat (audit first,
// as for cycles).
func (e *Engine) deliverRollback(ctx context.Context, rb *Rollback) (delivered, error) {
	d, err := e.appendOutbox(ctx, RollbackAuditStream(rb.ID), rb.ID, rb.Outbox, rb.Revision, rb.Notified)
	if err != nil {
		return d, err
	}
	rc, ok := e.deps.Chat.(RollbackChat)
	if !ok {
		d.notified = d.appended
		return d, nil
	}
	fresh := freshEvents(rb.Outbox, rb.Notified)
	if len(fresh) == 0 {
		return d, nil
	}
	if err := rc.RollbackChanged(ctx, rb, fresh); err != nil {
		e.log.Warn("chat update failed", "rollback", rb.ID, "err", err)
		return d, nil
	}
	d.notified = d.appended
	return d, nil
}

// trim drops delivered events from the rollback's outbox.
func (r *Rollback) trim(d delivered) { r.Outbox = trimOutbox(r.Outbox, &r.Notified, d) }

// RollbackEvents reads a rollback's audit trail.
func (e *Engine) RollbackEvents(ctx context.Context, id string) ([]Event, error) {
	entries, err := e.deps.Store.Read(ctx, RollbackAuditStream(id), 1, 0)
	if err != nil {
		return nil, storeErr("read audit of "+id, err)
	}
	return decodeEvents(id, entries)
}

// archiveRollback signs the rollback's final audit head, frees its hosts
// and moves it to the finished set; each part is idempotent.
func (e *Engine) archiveRollback(ctx context.Context, rb *Rollback) error {
	for _, stream := range []string{RollbackAuditStream(rb.ID), RefusalStream(rb.ID)} {
		head, err := e.deps.Store.Head(ctx, stream)
		if errors.Is(err, state.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read head of %s: %w", stream, err)
		}
		if e.deps.Notary != nil {
			if _, err := e.deps.Notary.Checkpoint(ctx, stream, head.Seq, head.Hash, true); err != nil {
				return fmt.Errorf("final checkpoint of %s: %w", stream, err)
			}
		}
	}
	st := e.deps.Store
	b, err := json.Marshal(rb)
	if err != nil {
		return fmt.Errorf("encode rollback %s: %w", rb.ID, err)
	}
	if _, err := st.Create(ctx, rollbackDoneKey(rb.ID), b); err != nil && !errors.Is(err, state.ErrConflict) {
		return fmt.Errorf("archive rollback %s: %w", rb.ID, err)
	}
	for _, h := range rb.Hosts {
		key := rollbackHostLockKey(h.Host.ID)
		if r, err := st.Get(ctx, key); err == nil && string(r.Value) == rb.ID {
			if err := st.Delete(ctx, key, r.Version); err != nil && !errors.Is(err, state.ErrConflict) {
				return fmt.Errorf("free host %s: %w", h.Host.ID, err)
			}
		}
	}
	if err := st.Delete(ctx, rollbackActiveKey(rb.ID), rb.Version); err != nil && !errors.Is(err, state.ErrNotFound) {
		return err
	}
	e.log.Info("rollback archived", "rollback", rb.ID, "tenant", rb.Tenant, "status", string(rb.Status))
	return nil
}
