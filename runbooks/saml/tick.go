package saml

import (
	"context"
	"fmt"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// Tick records that actor did one MOP step of a certificate's runbook: the
// tick goes into the record and the certificate's audit stream, and the
// message is updated to show it. Ticking a step twice is refused with who
// ticked it first. Anyone who can see the message may tick (the tick is
// evidence of work done, not an approval).
func (r *Runbook) Tick(ctx context.Context, fp, step, actor string) (*Record, error) {
	now := r.now()
	var text string
	rec, err := modify(ctx, r.Store, fp, func(cur *Record) (*Record, error) {
		if cur == nil {
			return nil, runbooks.Errorf(runbooks.CodeNotFound, "There is no SAML runbook for this certificate any more.")
		}
		var ok bool
		for _, s := range cur.Procedure.Steps {
			if s.ID == step {
				ok, text = true, s.Text
			}
		}
		if !ok {
			return nil, runbooks.Errorf(runbooks.CodeInvalid, "This runbook has no step %q; use the buttons on its latest message.", step)
		}
		if t, done := cur.Ticked(step); done {
			return nil, runbooks.Errorf(runbooks.CodeConflict, "That step was already ticked by <@%s> at %s.", t.By, t.At.UTC().Format("2006-01-02 15:04 UTC"))
		}
		next := *cur
		next.Ticks = append(append([]Tick(nil), cur.Ticks...), Tick{Step: step, By: actor, At: now})
		return &next, nil
	})
	if err != nil {
		return nil, err
	}
	if err := appendAudit(ctx, r.Store, fp, auditEvent{Type: "mop.tick", Step: step, StepText: text, Actor: actor, At: now}); err != nil {
		return rec, runbooks.Errorf(runbooks.CodeUnavailable, "The tick was saved but its audit entry was not; tell the platform team (%s).", step)
	}
	// Re-read so the message shows every tick, including a concurrent one.
	if latest, _, found, err := loadRecord(ctx, r.Store, fp); err == nil && found {
		rec = latest
	}
	if rec.Ref.TS != "" {
		if err := r.Chat.UpdateRunbook(ctx, rec); err != nil {
			r.log().Warn("saml: update the runbook after a tick", "fingerprint", fp, "err", err)
		}
	}
	return rec, nil
}

// Records lists every runbook record (open and resolved).
func Records(ctx context.Context, st state.Store) ([]*Record, error) {
	recs, err := st.List(ctx, recordPrefix())
	if err != nil {
		return nil, fmt.Errorf("list saml runbooks: %w", err)
	}
	out := make([]*Record, 0, len(recs))
	for _, sr := range recs {
		r, err := decodeRecord(sr.Value)
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", sr.Key, err)
		}
		out = append(out, r)
	}
	return out, nil
}
