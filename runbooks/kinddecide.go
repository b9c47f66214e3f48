package runbooks

import (
	"context"
	"errors"

	"github.com/patchgate/patchgate/state"
)

// kindDecisions is what one runbook kind brings to decideKind.
type kindDecisions[T any, P kindRecord[T]] struct {
	kindSteps[T, P]
	noun string // in the "changing too fast" refusal: "rollback", "rollout", …
	// apply checks the policy and applies d to n, returning the reply.
	apply   func(ctx context.Context, n P, d Decision, who Person) (string, error)
	tenant  func(P) string
	outcome func(P) Outcome // the record in an Outcome
}

// decideKind applies a person's decision to a runbook record with
// compare-and-swap: it de-duplicates on the interaction, audits a refusal
// on the record's refusal stream, and delivers the decision's events after
// the write.
func decideKind[T any, P kindRecord[T]](ctx context.Context, e *Engine, d Decision, k kindDecisions[T, P]) (Outcome, error) {
	who := e.person(ctx, d.Actor)
	for range 32 {
		p, err := k.store.getActive(ctx, d.Cycle)
		if err != nil {
			return Outcome{}, err
		}
		if p.journal().seen(d.InteractionID) {
			o := k.outcome(p)
			o.Duplicate, o.Message = true, "Already recorded."
			return o, nil
		}
		n := k.clone(p)
		msg, err := k.apply(ctx, n, d, who)
		if err != nil {
			if code := ErrorCode(err); code != CodeInternal && code != CodeUnavailable {
				e.auditRefusal(ctx, &Cycle{ID: p.recordID(), Tenant: k.tenant(p), Revision: p.journal().Revision}, d, who, err)
			}
			return k.outcome(p), err
		}
		if d.InteractionID != "" {
			n.journal().Interactions = append(n.journal().Interactions, d.InteractionID)
		}
		err = k.store.save(ctx, nil, n)
		if errors.Is(err, state.ErrConflict) {
			continue
		}
		if err != nil {
			return Outcome{}, storeErr("record decision", err)
		}
		e.log.Info("decision", k.store.kind, n.recordID(), "action", string(d.Action), "actor", d.Actor)
		if _, err := k.deliver(ctx, n); err != nil {
			e.log.Warn("deliver decision events", k.store.kind, n.recordID(), "err", err)
		}
		o := k.outcome(n)
		o.Message = msg
		return o, nil
	}
	return Outcome{}, Errorf(CodeUnavailable, "the %s is changing too fast to record your decision; try again", k.noun)
}
