package drift

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/state"
)

// AuditStream is the hash-chained stream of drift events: items detected,
// decisions, resolutions.
const AuditStream = "audit/drift"

const itemPrefix = "drift/item/"

// ItemID names an item stably across runs: the same resource drifting in
// the same workspace is the same item.
func ItemID(workspace, kind, address string) string {
	h := sha256.Sum256([]byte(workspace + "\x00" + kind + "\x00" + address))
	return hex.EncodeToString(h[:8])
}

func loadItem(ctx context.Context, st state.Store, id string) (*Item, int64, bool, error) {
	rec, err := st.Get(ctx, itemPrefix+id)
	if errors.Is(err, state.ErrNotFound) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, fmt.Errorf("read drift item %s: %w", id, err)
	}
	var it Item
	if err := json.Unmarshal(rec.Value, &it); err != nil {
		return nil, 0, false, fmt.Errorf("decode drift item %s: %w", id, err)
	}
	return &it, rec.Version, true, nil
}

// modifyItem applies change with compare-and-swap (state.ModifyJSON).
// change returns nil to write nothing.
func modifyItem(ctx context.Context, st state.Store, id string, change func(cur *Item) (*Item, error)) (*Item, error) {
	it, err := state.ModifyJSON(ctx, st, itemPrefix+id, change)
	if err != nil {
		return nil, fmt.Errorf("change drift item %s: %w", id, err)
	}
	return it, nil
}

// Items lists every stored item.
func Items(ctx context.Context, st state.Store) ([]Item, error) {
	recs, err := st.List(ctx, itemPrefix)
	if err != nil {
		return nil, fmt.Errorf("list drift items: %w", err)
	}
	out := make([]Item, 0, len(recs))
	for _, r := range recs {
		var it Item
		if err := json.Unmarshal(r.Value, &it); err != nil {
			return nil, fmt.Errorf("decode %s: %w", r.Key, err)
		}
		out = append(out, it)
	}
	return out, nil
}

// auditEvent is one entry of AuditStream.
type auditEvent struct {
	Type      string    `json:"type"` // drift.detected, drift.decision, drift.resolved
	Item      string    `json:"item"`
	Workspace string    `json:"workspace"`
	Tenant    string    `json:"tenant"`
	Account   string    `json:"account,omitempty"`
	Address   string    `json:"address"`
	Action    string    `json:"action,omitempty"`
	Paths     []string  `json:"paths,omitempty"`
	Decision  string    `json:"decision,omitempty"`
	Previous  string    `json:"previous,omitempty"` // a decision this one replaced
	Actor     string    `json:"actor,omitempty"`
	At        time.Time `json:"at"`
}

func appendAudit(ctx context.Context, st state.Store, typ string, it *Item, at time.Time, mod func(*auditEvent)) error {
	ev := auditEvent{Type: typ, Item: it.ID, Workspace: it.Workspace, Tenant: it.Tenant, Account: it.Account,
		Address: it.Address, Action: it.Action, Paths: it.Paths, At: at}
	if mod != nil {
		mod(&ev)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode %s for %s: %w", typ, AuditStream, err)
	}
	if _, err := st.Append(ctx, AuditStream, b); err != nil {
		return fmt.Errorf("append %s to %s: %w", typ, AuditStream, err)
	}
	return nil
}
