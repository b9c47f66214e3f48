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

// RecordFormat is the format this release writes cycle records in. Format 1
// (no format field) kept operation handles in the record and the inventory
// as one JSON array; format 2 keeps large handles and the inventory in
// blobs the records refer to; format 3 also keeps large per-host result
// lists in blobs, and every blob in the cycle's own key space. This release
// reads all three, so cycles in flight across an upgrade finish after it.
const RecordFormat = 3

func decodeCycle(r state.Record) (*Cycle, error) {
	var c Cycle
	if err := json.Unmarshal(r.Value, &c); err != nil {
		return nil, fmt.Errorf("decode cycle record %s: %w", r.Key, err)
	}
	if c.Format > RecordFormat {
		return nil, fmt.Errorf("decode cycle record %s: written in record format %d by a newer release; this release reads formats 1 to %d",
			r.Key, c.Format, RecordFormat)
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
	return e.decodeWhole(ctx, r)
}

// decodeWhole decodes a cycle record with its per-host results read back.
func (e *Engine) decodeWhole(ctx context.Context, r state.Record) (*Cycle, error) {
	c, err := decodeCycle(r)
	if err != nil {
		return nil, err
	}
	if err := e.loadResults(ctx, c); err != nil {
		return nil, storeErr("read cycle "+c.ID, err)
	}
	return c, nil
}

func (e *Engine) getActive(ctx context.Context, id string) (*Cycle, error) {
	r, err := e.deps.Store.Get(ctx, activeKey(id))
	if errors.Is(err, state.ErrNotFound) {
		return nil, Errorf(CodeNotFound, "no active cycle %q", id)
	}
	if err != nil {
		return nil, storeErr("read cycle "+id, err)
	}
	return e.decodeWhole(ctx, r)
}

// Active lists every cycle not yet archived, in ID order.
func (e *Engine) Active(ctx context.Context) ([]*Cycle, error) {
	return e.listWhole(ctx, activePrefix)
}

// Finished lists archived cycles, in ID order.
func (e *Engine) Finished(ctx context.Context) ([]*Cycle, error) {
	return e.listWhole(ctx, donePrefix)
}

// FinishedCycles lists the archived cycles in st, in ID order, for readers
// without an engine (the posture digest).
func FinishedCycles(ctx context.Context, st state.Store) ([]*Cycle, error) {
	return listCycles(ctx, st, donePrefix)
}

// listWhole lists cycles with their per-host results read back.
func (e *Engine) listWhole(ctx context.Context, prefix string) ([]*Cycle, error) {
	cs, err := listCycles(ctx, e.deps.Store, prefix)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if err := e.loadResults(ctx, c); err != nil {
			return nil, storeErr("read cycle "+c.ID, err)
		}
	}
	return cs, nil
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

func (e *Engine) encodeCycle(ctx context.Context, c *Cycle) ([]byte, error) {
	c.Format = e.cfg.WriteFormat
	if c.Format == 1 {
		c.Format = 0 // format 1 records carry no format field
	}
	rec, err := e.storeResults(ctx, c)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode cycle %s: %w", c.ID, err)
	}
	return b, nil
}

// save writes c over the version it was read at, fenced by lease when one is
// given. c.Version is moved on success.
func (e *Engine) save(ctx context.Context, lease *state.Lease, c *Cycle) error {
	b, err := e.encodeCycle(ctx, c)
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
	return e.inventoryWhere(ctx, id, nil)
}

// inventoryRecord is the format-2 inventory record: the hosts live in a
// blob (chunked, so an 18,000-host inventory is not one 10 MB value).
type inventoryRecord struct {
	Format int     `json:"format"`
	Hosts  int     `json:"hosts"`
	Blob   BlobRef `json:"blob"`
}

// isJSONArray reports whether b holds a JSON array (a format-1 inventory).
func isJSONArray(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c == '['
	}
	return false
}

// putInventory stores (or, on a retried preflight, replaces) the inventory.
func (e *Engine) putInventory(ctx context.Context, id string, hosts []Host) error {
	var b []byte
	if e.cfg.WriteFormat >= 2 {
		wctx, cancel := e.recordContext(ctx)
		defer cancel()
		ref, err := putHosts(wctx, e.deps.Store, e.blobOwner(id), hosts)
		if err != nil {
			return fmt.Errorf("store inventory of %s: %w", id, err)
		}
		if b, err = json.Marshal(inventoryRecord{Format: 2, Hosts: len(hosts), Blob: ref}); err != nil {
			return fmt.Errorf("encode inventory record of %s: %w", id, err)
		}
	} else {
		var err error
		if b, err = json.Marshal(hosts); err != nil { // format 1: the hosts themselves
			return fmt.Errorf("encode inventory of %s: %w", id, err)
		}
	}
	wctx, cancel := e.recordContext(ctx)
	defer cancel()
	if _, err := state.Modify(wctx, e.deps.Store, inventoryKey(id), func([]byte, bool) ([]byte, error) { return b, nil }); err != nil {
		return fmt.Errorf("store inventory of %s: %w", id, err)
	}
	return nil
}

// storeErr turns a store failure into a coded error a person can act on,
// keeping the cause for logs.
func storeErr(doing string, err error) error {
	return fmt.Errorf("%s: %w", doing, errors.Join(
		Errorf(CodeUnavailable, storeUnavailableMessage), err))
}

// ActiveCycles lists the cycles in st not yet archived, in ID order, for
// readers without an engine (the monthly outcome figures).
func ActiveCycles(ctx context.Context, st state.Store) ([]*Cycle, error) {
	return listCycles(ctx, st, activePrefix)
}
