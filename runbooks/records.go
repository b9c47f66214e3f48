package runbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/patchgate/patchgate/state"
)

// Store keys. Active cycles live apart from finished ones so a reconcile
// tick lists only what may still need work.
const (
	activePrefix = "cycles/active/"
	donePrefix   = "cycles/done/"
)

func activeKey(id string) string     { return activePrefix + id }
func doneKey(id string) string       { return donePrefix + id }
func tenantLockKey(t string) string  { return "tenants/" + t + "/active" }
func inventoryKey(id string) string  { return "inventory/" + id }
func cycleLeaseKey(id string) string { return "cycle/" + id }

func decodeCycle(r state.Record) (*Cycle, error) {
	var c Cycle
	if err := json.Unmarshal(r.Value, &c); err != nil {
		return nil, fmt.Errorf("decode cycle record %s: %w", r.Key, err)
	}
	c.Version = r.Version
	return &c, nil
}

// Get returns a cycle, active or finished.
func (e *Engine) Get(ctx context.Context, id string) (*Cycle, error) {
	c, err := e.getActive(ctx, id)
	if ErrorCode(err) != CodeNotFound {
		return c, err
	}
	r, err := e.deps.Store.Get(ctx, doneKey(id))
	if errors.Is(err, state.ErrNotFound) {
		return nil, Errorf(CodeNotFound, "no cycle %q", id)
	}
	if err != nil {
		return nil, storeErr("read cycle "+id, err)
	}
	return decodeCycle(r)
}

func (e *Engine) getActive(ctx context.Context, id string) (*Cycle, error) {
	r, err := e.deps.Store.Get(ctx, activeKey(id))
	if errors.Is(err, state.ErrNotFound) {
		return nil, Errorf(CodeNotFound, "no active cycle %q", id)
	}
	if err != nil {
		return nil, storeErr("read cycle "+id, err)
	}
	return decodeCycle(r)
}

// Active lists every cycle not yet archived, in ID order.
func (e *Engine) Active(ctx context.Context) ([]*Cycle, error) {
	return e.list(ctx, activePrefix)
}

// Finished lists archived cycles, in ID order.
func (e *Engine) Finished(ctx context.Context) ([]*Cycle, error) {
	return e.list(ctx, donePrefix)
}

// FinishedCycles lists the archived cycles in st, in ID order, for readers
// without an engine (the posture digest).
func FinishedCycles(ctx context.Context, st state.Store) ([]*Cycle, error) {
	return listCycles(ctx, st, donePrefix)
}

func (e *Engine) list(ctx context.Context, prefix string) ([]*Cycle, error) {
	return listCycles(ctx, e.deps.Store, prefix)
}

func listCycles(ctx context.Context, st state.Store, prefix string) ([]*Cycle, error) {
	recs, err := st.List(ctx, prefix)
	if err != nil {
		return nil, storeErr("list cycles", err)
	}
	out := make([]*Cycle, 0, len(recs))
	for _, r := range recs {
		c, err := decodeCycle(r)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func encodeCycle(c *Cycle) ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode cycle %s: %w", c.ID, err)
	}
	return b, nil
}

// save writes c over the version it was read at, fenced by lease when one is
// given. c.Version is moved on success.
func (e *Engine) save(ctx context.Context, lease *state.Lease, c *Cycle) error {
	b, err := encodeCycle(c)
	if err != nil {
		return err
	}
	var r state.Record
	if lease != nil {
		r, err = e.deps.Store.UpdateFenced(ctx, *lease, activeKey(c.ID), b, c.Version)
	} else {
		r, err = e.deps.Store.Update(ctx, activeKey(c.ID), b, c.Version)
	}
	if err != nil {
		return err
	}
	c.Version = r.Version
	return nil
}

// Inventory returns the hosts preflight found for a cycle.
func (e *Engine) Inventory(ctx context.Context, id string) ([]Host, error) {
	r, err := e.deps.Store.Get(ctx, inventoryKey(id))
	if errors.Is(err, state.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, storeErr("read inventory of "+id, err)
	}
	var hosts []Host
	if err := json.Unmarshal(r.Value, &hosts); err != nil {
		return nil, fmt.Errorf("decode inventory of %s: %w", id, err)
	}
	return hosts, nil
}

// putInventory stores (or, on a retried preflight, replaces) the inventory.
func (e *Engine) putInventory(ctx context.Context, id string, hosts []Host) error {
	b, err := json.Marshal(hosts)
	if err != nil {
		return fmt.Errorf("encode inventory of %s: %w", id, err)
	}
	for {
		r, err := e.deps.Store.Get(ctx, inventoryKey(id))
		switch {
		case errors.Is(err, state.ErrNotFound):
			_, err = e.deps.Store.Create(ctx, inventoryKey(id), b)
		case err == nil:
			_, err = e.deps.Store.Update(ctx, inventoryKey(id), b, r.Version)
		}
		if !errors.Is(err, state.ErrConflict) {
			return err
		}
	}
}

// storeErr turns a store failure into a coded error a person can act on,
// keeping the cause for logs.
func storeErr(doing string, err error) error {
	return fmt.Errorf("%s: %w", doing, errors.Join(
		Errorf(CodeUnavailable, storeUnavailableMessage), err))
}
