package runbooks

import (
	"context"
	"sort"
)

// preventions keeps rollout records (see kindstore.go).
func (e *Engine) preventions() kindStore[Prevention, *Prevention] {
	return kindStore[Prevention, *Prevention]{e: e, kind: "prevention"}
}

// preventionTierLockKey keeps one open rollout per tenant, tier and mode.
func preventionTierLockKey(tenant, tier, mode string) string {
	return "runbooks/prevention/tier/" + tenant + "/" + tier + "/" + mode
}

// PreventionAuditStream holds a rollout's events.
func PreventionAuditStream(id string) string { return "audit/prevention/" + id }

// GetPrevention returns a rollout, open or finished.
func (e *Engine) GetPrevention(ctx context.Context, id string) (*Prevention, error) {
	return e.preventions().get(ctx, id)
}

// Preventions lists open rollouts, and finished ones with finished set,
// oldest first.
func (e *Engine) Preventions(ctx context.Context, finished bool) ([]*Prevention, error) {
	out, err := e.preventions().list(ctx, finished)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// PreventionChat shows a rollout to people: one message per rollout,
// updated in place, events in its thread.
type PreventionChat interface {
	PreventionChanged(ctx context.Context, p *Prevention, events []Event) error
}

// deliverPrevention appends the outbox to the audit stream, then hands new
// events to chat when it shows rollouts.
func (e *Engine) deliverPrevention(ctx context.Context, p *Prevention) (delivered, error) {
	var chat func(context.Context, []Event) error
	if pc, ok := e.deps.Chat.(PreventionChat); ok {
		chat = func(ctx context.Context, fresh []Event) error { return pc.PreventionChanged(ctx, p, fresh) }
	}
	return e.preventions().deliver(ctx, p, chat)
}

// PreventionEvents reads a rollout's audit trail.
func (e *Engine) PreventionEvents(ctx context.Context, id string) ([]Event, error) {
	return e.preventions().events(ctx, id)
}

// archivePrevention frees the tier, signs the final audit heads and moves
// the rollout to the finished set; each part is idempotent.
func (e *Engine) archivePrevention(ctx context.Context, p *Prevention) error {
	if err := e.unlockTier(ctx, p); err != nil {
		return err
	}
	return e.preventions().archive(ctx, p)
}

// PreventionsOf lists a tenant's rollouts, open and finished, oldest
// first, for its reports.
func (e *Engine) PreventionsOf(ctx context.Context, tenant string) ([]*Prevention, error) {
	var out []*Prevention
	for _, finished := range []bool{false, true} {
		ps, err := e.Preventions(ctx, finished)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if p.Tenant == tenant {
				out = append(out, p)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}
