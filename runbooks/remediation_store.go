package runbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/patchgate/patchgate/state"
)

const (
	remediationActivePrefix = "runbooks/remediation/active/"
	remediationDonePrefix   = "runbooks/remediation/done/"
)

func remediationActiveKey(id string) string { return remediationActivePrefix + id }
func remediationDoneKey(id string) string   { return remediationDonePrefix + id }

func decodeRemediation(r state.Record) (*Remediation, error) {
	var rm Remediation
	if err := json.Unmarshal(r.Value, &rm); err != nil {
		return nil, fmt.Errorf("decode remediation record %s: %w", r.Key, err)
	}
	rm.Version = r.Version
	return &rm, nil
}

// GetRemediation returns a remediation, open or finished.
func (e *Engine) GetRemediation(ctx context.Context, id string) (*Remediation, error) {
	for _, key := range []string{remediationActiveKey(id), remediationDoneKey(id)} {
		r, err := e.deps.Store.Get(ctx, key)
		if errors.Is(err, state.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, storeErr("read remediation "+id, err)
		}
		return decodeRemediation(r)
	}
	return nil, Errorf(CodeNotFound, "no remediation %q", id)
}

func (e *Engine) getActiveRemediation(ctx context.Context, id string) (*Remediation, error) {
	r, err := e.deps.Store.Get(ctx, remediationActiveKey(id))
	if errors.Is(err, state.ErrNotFound) {
		return nil, Errorf(CodeNotFound, "no open remediation %q", id)
	}
	if err != nil {
		return nil, storeErr("read remediation "+id, err)
	}
	return decodeRemediation(r)
}

// Remediations lists open remediations, and finished ones with finished set.
func (e *Engine) Remediations(ctx context.Context, finished bool) ([]*Remediation, error) {
	prefix := remediationActivePrefix
	if finished {
		prefix = remediationDonePrefix
	}
	recs, err := e.deps.Store.List(ctx, prefix)
	if err != nil {
		return nil, storeErr("list remediations", err)
	}
	out := make([]*Remediation, 0, len(recs))
	for _, r := range recs {
		rm, err := decodeRemediation(r)
		if err != nil {
			return nil, err
		}
		out = append(out, rm)
	}
	return out, nil
}

// saveRemediation writes r over the version it was read at, fenced by
// lease when one is given.
func (e *Engine) saveRemediation(ctx context.Context, lease *state.Lease, r *Remediation) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode remediation %s: %w", r.ID, err)
	}
	var rec state.Record
	if lease != nil {
		rec, err = e.deps.Store.UpdateFenced(ctx, *lease, remediationActiveKey(r.ID), b, r.Version)
	} else {
		rec, err = e.deps.Store.Update(ctx, remediationActiveKey(r.ID), b, r.Version)
	}
	if err != nil {
		return err
	}
	r.Version = rec.Version
	return nil
}

// RemediationChat shows a remediation to people: one card per
// remediation, updated in place, events in its thread. A Chat that
// implements it gets remediations; delivery is at least once, keyed by
// (remediation, event Seq).
type RemediationChat interface {
	RemediationChanged(ctx context.Context, r *Remediation, events []Event) error
}

// deliverRemediation appends the outbox to the audit stream, then hands
// new events to chat (audit first).
func (e *Engine) deliverRemediation(ctx context.Context, r *Remediation) (delivered, error) {
	d, err := e.appendOutbox(ctx, RemediationAuditStream(r.ID), r.ID, r.Outbox, r.Revision, r.Notified)
	if err != nil {
		return d, err
	}
	rc, ok := e.deps.Chat.(RemediationChat)
	if !ok {
		d.notified = d.appended
		return d, nil
	}
	fresh := freshEvents(r.Outbox, r.Notified)
	if len(fresh) == 0 {
		return d, nil
	}
	if err := rc.RemediationChanged(ctx, r, fresh); err != nil {
		e.log.Warn("chat update failed", "remediation", r.ID, "err", err)
		return d, nil
	}
	d.notified = d.appended
	return d, nil
}

// RemediationEvents reads a remediation's audit trail.
func (e *Engine) RemediationEvents(ctx context.Context, id string) ([]Event, error) {
	entries, err := e.deps.Store.Read(ctx, RemediationAuditStream(id), 1, 0)
	if err != nil {
		return nil, storeErr("read audit of "+id, err)
	}
	return decodeEvents(id, entries)
}

// archiveRemediation signs the final audit heads and moves the record to
// the finished set; each part is idempotent.
func (e *Engine) archiveRemediation(ctx context.Context, r *Remediation) error {
	for _, stream := range []string{RemediationAuditStream(r.ID), RefusalStream(r.ID)} {
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
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode remediation %s: %w", r.ID, err)
	}
	st := e.deps.Store
	if _, err := st.Create(ctx, remediationDoneKey(r.ID), b); err != nil && !errors.Is(err, state.ErrConflict) {
		return fmt.Errorf("archive remediation %s: %w", r.ID, err)
	}
	if err := st.Delete(ctx, remediationActiveKey(r.ID), r.Version); err != nil && !errors.Is(err, state.ErrNotFound) {
		return err
	}
	e.log.Info("remediation archived", "remediation", r.ID, "tenant", r.Tenant, "status", string(r.Status))
	return nil
}
