package runbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/state"
)

// sweepCycleBlobs deletes the blobs in a finished cycle's key space that
// neither its final record, its inventory record nor its audit trail
// names: a per-host result list a later write replaced, an inventory a
// retried preflight replaced, a blob a write that lost a race or a crash
// left. What the records name stays, so the archived cycle reads whole;
// what an event names by digest (an operation's handle) stays as the
// evidence the chain vouches for. record is the cycle's final record as
// archived.
func (e *Engine) sweepCycleBlobs(ctx context.Context, c *Cycle, record []byte) error {
	keep := map[string]bool{}
	if err := namedDigests(record, keep); err != nil {
		return fmt.Errorf("sweep blobs of %s: read its record: %w", c.ID, err)
	}
	st := e.deps.Store
	inv, err := st.Get(ctx, inventoryKey(c.ID))
	switch {
	case err == nil:
		if !isJSONArray(inv.Value) { // format 2 and later refer to a blob; format 1 holds the hosts
			if err := namedDigests(inv.Value, keep); err != nil {
				return fmt.Errorf("sweep blobs of %s: read its inventory record: %w", c.ID, err)
			}
		}
	case !errors.Is(err, state.ErrNotFound):
		return storeErr("read inventory of "+c.ID, err)
	}
	evs, err := e.Events(ctx, c.ID)
	if err != nil {
		return err
	}
	eventDigests(evs, keep)
	return e.deleteBlobsExcept(ctx, c.ID, keep)
}

// eventDigests adds to keep every blob digest the events name (data
// members whose name ends in "sha256").
func eventDigests(evs []Event, keep map[string]bool) {
	for _, ev := range evs {
		for k, v := range ev.Data {
			if strings.HasSuffix(k, "sha256") {
				keep[v] = true
			}
		}
	}
}

// deleteBlobsExcept deletes every blob chunk in owner's key space whose
// digest keep does not hold.
func (e *Engine) deleteBlobsExcept(ctx context.Context, owner string, keep map[string]bool) error {
	st := e.deps.Store
	recs, err := st.List(ctx, blobPrefix(owner))
	if err != nil {
		return storeErr("list blobs of "+owner, err)
	}
	for _, rec := range recs {
		digest, _, _ := strings.Cut(strings.TrimPrefix(rec.Key, blobPrefix(owner)), "/")
		if keep[digest] {
			continue
		}
		if err := st.Delete(ctx, rec.Key, rec.Version); err != nil && !errors.Is(err, state.ErrNotFound) && !errors.Is(err, state.ErrConflict) {
			return storeErr("delete blob chunk "+rec.Key, err)
		}
	}
	return nil
}

// namedDigests adds to keep every blob digest doc names: the value of
// each "sha256" member, at any depth. Reading the JSON rather than the
// cycle's fields keeps a blob a later field refers to even before this
// function learns of it.
func namedDigests(doc []byte, keep map[string]bool) error {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return err
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, m := range v {
				if s, ok := m.(string); ok && k == "sha256" {
					keep[s] = true
				}
				walk(m)
			}
		case []any:
			for _, m := range v {
				walk(m)
			}
		}
	}
	walk(v)
	return nil
}
