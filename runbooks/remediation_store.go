package runbooks

import (
	"context"
	"errors"

	"github.com/patchgate/patchgate/state"
)

// remediations keeps remediation records (see kindstore.go). Beside them:
// the claim of each compliance event and the collecting remediation of
// each tenant's environment (remediation_intake.go).
func (e *Engine) remediations() kindStore[Remediation, *Remediation] {
	return kindStore[Remediation, *Remediation]{e: e, kind: "remediation"}
}

func (r *Remediation) recordID() string { return r.ID }

// GetRemediation returns a remediation, open or finished, with its
// instances: while its window collects entries, as they stand; from its
// blob once gathered.
func (e *Engine) GetRemediation(ctx context.Context, id string) (*Remediation, error) {
	for range 3 {
		r, err := e.remediations().get(ctx, id)
		if err != nil {
			return nil, err
		}
		if r.collectsEntries() {
			if r.Instances, err = e.entries(ctx, id); err != nil {
				return nil, err
			}
			return r, nil
		}
		_, err = e.RemediationInstances(ctx, r)
		if errors.Is(err, state.ErrNotFound) {
			continue // a write replaced the blob since the record was read
		}
		if err != nil {
			return nil, storeErr("read remediation "+id, err)
		}
		return r, nil
	}
	return nil, Errorf(CodeUnavailable, "remediation %s changed while it was read; try again", id)
}

func (e *Engine) getActiveRemediation(ctx context.Context, id string) (*Remediation, error) {
	return e.remediations().getActive(ctx, id)
}

// Remediations lists open remediations, and finished ones with finished set.
func (e *Engine) Remediations(ctx context.Context, finished bool) ([]*Remediation, error) {
	return e.remediations().list(ctx, finished)
}

func (e *Engine) saveRemediation(ctx context.Context, lease *state.Lease, r *Remediation) error {
	return e.remediations().save(ctx, lease, r)
}

// RemediationChat shows a remediation to people: one card per
// remediation, updated in place, events in its thread. A Chat that
// implements it gets remediations; delivery is at least once, keyed by
// (remediation, event Seq).
type RemediationChat interface {
	RemediationChanged(ctx context.Context, r *Remediation, events []Event) error
}

// deliverRemediation appends the outbox to the audit stream, then hands
// new events to chat when it shows remediations.
func (e *Engine) deliverRemediation(ctx context.Context, r *Remediation) (delivered, error) {
	var chat func(context.Context, []Event) error
	if rc, ok := e.deps.Chat.(RemediationChat); ok {
		chat = func(ctx context.Context, fresh []Event) error { return rc.RemediationChanged(ctx, r, fresh) }
	}
	return e.remediations().deliver(ctx, r, chat)
}

// RemediationEvents reads a remediation's audit trail.
func (e *Engine) RemediationEvents(ctx context.Context, id string) ([]Event, error) {
	return e.remediations().events(ctx, id)
}

// archiveRemediation signs the final audit heads and moves the record to
// the finished set.
func (e *Engine) archiveRemediation(ctx context.Context, r *Remediation) error {
	if r.Format >= RemFormatEntries {
		if err := e.dropEntries(ctx, r.ID); err != nil {
			return err
		}
	}
	if r.Format >= RemFormatBlob {
		// Before the move, so a crash in between leaves the sweep to the
		// next tick; the record is final, so what it names is what stays.
		if err := e.sweepBlobs(ctx, r); err != nil {
			return err
		}
	}
	if err := e.remediations().archive(ctx, r); err != nil {
		return err
	}
	e.log.Info("remediation archived", "remediation", r.ID, "tenant", r.Tenant, "status", string(r.Status))
	return nil
}

// createRemediation writes a new remediation; state.ErrConflict when its
// ID exists.
func (e *Engine) createRemediation(ctx context.Context, r *Remediation) error {
	return e.remediations().create(ctx, r)
}

// dropRemediation deletes a remediation record that never took an event
// (the loser of a race to open a window).
func (e *Engine) dropRemediation(ctx context.Context, r *Remediation) {
	err := e.deps.Store.Delete(ctx, e.remediations().activeKey(r.ID), r.Version)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		e.log.Warn("drop unused remediation", "remediation", r.ID, "err", err)
	}
}
