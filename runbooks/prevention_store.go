package runbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/patchgate/patchgate/state"
)

const (
	preventionActivePrefix = "runbooks/prevention/active/"
	preventionDonePrefix   = "runbooks/prevention/done/"
)

// preventionTierLockKey keeps one open rollout per tenant, tier and mode.
func preventionTierLockKey(tenant, tier, mode string) string {
	return "runbooks/prevention/tier/" + tenant + "/" + tier + "/" + mode
}

// PreventionAuditStream holds a rollout's events.
func PreventionAuditStream(id string) string { return "audit/prevention/" + id }

func decodePrevention(r state.Record) (*Prevention, error) {
	var p Prevention
	if err := json.Unmarshal(r.Value, &p); err != nil {
		return nil, fmt.Errorf("decode prevention record %s: %w", r.Key, err)
	}
	p.Version = r.Version
	return &p, nil
}

// GetPrevention returns a rollout, open or finished.
func (e *Engine) GetPrevention(ctx context.Context, id string) (*Prevention, error) {
	for _, key := range []string{preventionActivePrefix + id, preventionDonePrefix + id} {
		r, err := e.deps.Store.Get(ctx, key)
		if errors.Is(err, state.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, storeErr("read prevention rollout "+id, err)
		}
		return decodePrevention(r)
	}
	return nil, Errorf(CodeNotFound, "no prevention rollout %q", id)
}

func (e *Engine) getActivePrevention(ctx context.Context, id string) (*Prevention, error) {
	r, err := e.deps.Store.Get(ctx, preventionActivePrefix+id)
	if errors.Is(err, state.ErrNotFound) {
		return nil, Errorf(CodeNotFound, "no open prevention rollout %q", id)
	}
	if err != nil {
		return nil, storeErr("read prevention rollout "+id, err)
	}
	return decodePrevention(r)
}

// Preventions lists open rollouts, and finished ones with finished set,
// oldest first.
func (e *Engine) Preventions(ctx context.Context, finished bool) ([]*Prevention, error) {
	prefix := preventionActivePrefix
	if finished {
		prefix = preventionDonePrefix
	}
	recs, err := e.deps.Store.List(ctx, prefix)
	if err != nil {
		return nil, storeErr("list prevention rollouts", err)
	}
	out := make([]*Prevention, 0, len(recs))
	for _, r := range recs {
		p, err := decodePrevention(r)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

func (e *Engine) createPrevention(ctx context.Context, p *Prevention) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode prevention rollout %s: %w", p.ID, err)
	}
	r, err := e.deps.Store.Create(ctx, preventionActivePrefix+p.ID, b)
	if err != nil {
		return storeErr("create prevention rollout "+p.ID, err)
	}
	p.Version = r.Version
	return nil
}

// savePrevention writes p over the version it was read at, fenced by
// lease when one is given.
func (e *Engine) savePrevention(ctx context.Context, lease *state.Lease, p *Prevention) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode prevention rollout %s: %w", p.ID, err)
	}
	var r state.Record
	if lease != nil {
		r, err = e.deps.Store.UpdateFenced(ctx, *lease, preventionActivePrefix+p.ID, b, p.Version)
	} else {
		r, err = e.deps.Store.Update(ctx, preventionActivePrefix+p.ID, b, p.Version)
	}
	if err != nil {
		return err
	}
	p.Version = r.Version
	return nil
}

// PreventionChat shows a rollout to people: one message per rollout,
// updated in place, events in its thread.
type PreventionChat interface {
	PreventionChanged(ctx context.Context, p *Prevention, events []Event) error
}

// deliverPrevention appends the outbox to the audit stream, then hands new
// events to chat.
func (e *Engine) deliverPrevention(ctx context.Context, p *Prevention) (delivered, error) {
	d, err := e.appendOutbox(ctx, PreventionAuditStream(p.ID), p.ID, p.Outbox, p.Revision, p.Notified)
	if err != nil {
		return d, err
	}
	pc, ok := e.deps.Chat.(PreventionChat)
	if !ok {
		d.notified = d.appended
		return d, nil
	}
	fresh := freshEvents(p.Outbox, p.Notified)
	if len(fresh) == 0 {
		return d, nil
	}
	if err := pc.PreventionChanged(ctx, p, fresh); err != nil {
		e.log.Warn("chat update failed", "prevention", p.ID, "err", err)
		return d, nil
	}
	d.notified = d.appended
	return d, nil
}

// PreventionEvents reads a rollout's audit trail.
func (e *Engine) PreventionEvents(ctx context.Context, id string) ([]Event, error) {
	entries, err := e.deps.Store.Read(ctx, PreventionAuditStream(id), 1, 0)
	if err != nil {
		return nil, storeErr("read audit of "+id, err)
	}
	return decodeEvents(id, entries)
}

// archivePrevention signs the final audit heads, frees the tier and moves
// the rollout to the finished set; each part is idempotent.
func (e *Engine) archivePrevention(ctx context.Context, p *Prevention) error {
	for _, stream := range []string{PreventionAuditStream(p.ID), RefusalStream(p.ID)} {
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
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode prevention rollout %s: %w", p.ID, err)
	}
	if _, err := st.Create(ctx, preventionDonePrefix+p.ID, b); err != nil && !errors.Is(err, state.ErrConflict) {
		return fmt.Errorf("archive prevention rollout %s: %w", p.ID, err)
	}
	if err := e.unlockTier(ctx, p); err != nil {
		return err
	}
	if err := st.Delete(ctx, preventionActivePrefix+p.ID, p.Version); err != nil && !errors.Is(err, state.ErrNotFound) {
		return err
	}
	return nil
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
