package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/state"
)

// chatKey is the store record that ties a cycle to its Slack message.
func chatKey(cycleID string) string { return "chat/" + cycleID }

// chatRecord is what every replica agrees on about a cycle's messages. It is
// written only with compare-and-swap, so of several replicas exactly one
// posts the root message and each event reaches the thread once.
type chatRecord struct {
	Channel string `json:"channel"`
	// TS is the root message's timestamp; empty while Poster is posting it.
	TS     string    `json:"ts,omitempty"`
	Poster string    `json:"poster,omitempty"` // the replica posting the root message
	Since  time.Time `json:"since"`            // when Poster started

	// Posted is the last event sequence the thread has dealt with (shown,
	// or deliberately folded into a later message).
	Posted int64 `json:"posted"`
	// Claim is a thread message being posted for events up to Claim.To.
	Claim *threadClaim `json:"claim,omitempty"`

	// Shown is the cycle record version the root message was last rendered
	// from, and ShownBy the replica that rendered it, so a replica holding
	// an older cycle never overwrites a newer rendering.
	Shown   int64  `json:"shown,omitempty"`
	ShownBy string `json:"shown_by,omitempty"`
}

// threadClaim says a replica is posting a thread message.
type threadClaim struct {
	Owner string    `json:"owner"`
	To    int64     `json:"to"`
	Since time.Time `json:"since"`
}

// msgRef locates a posted message.
type msgRef struct{ Channel, TS string }

// loadChat reads a cycle's chat record; found is false if there is none.
func loadChat(ctx context.Context, st state.Store, cycleID string) (rec chatRecord, version int64, found bool, err error) {
	r, err := st.Get(ctx, chatKey(cycleID))
	if errors.Is(err, state.ErrNotFound) {
		return chatRecord{}, 0, false, nil
	}
	if err != nil {
		return chatRecord{}, 0, false, storeFailure("read "+chatKey(cycleID), err)
	}
	if err := json.Unmarshal(r.Value, &rec); err != nil {
		return chatRecord{}, 0, false, fmt.Errorf("decode %s: %w", chatKey(cycleID), err)
	}
	return rec, r.Version, true, nil
}

// createChat creates the record; state.ErrConflict if another replica did.
func createChat(ctx context.Context, st state.Store, cycleID string, rec chatRecord) (int64, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return 0, fmt.Errorf("encode %s: %w", chatKey(cycleID), err)
	}
	r, err := st.Create(ctx, chatKey(cycleID), b)
	if errors.Is(err, state.ErrConflict) {
		return 0, err
	}
	if err != nil {
		return 0, storeFailure("create "+chatKey(cycleID), err)
	}
	return r.Version, nil
}

// casChat replaces the record at version; state.ErrConflict if it moved.
func casChat(ctx context.Context, st state.Store, cycleID string, rec chatRecord, version int64) (int64, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return 0, fmt.Errorf("encode %s: %w", chatKey(cycleID), err)
	}
	r, err := st.Update(ctx, chatKey(cycleID), b, version)
	if errors.Is(err, state.ErrConflict) || errors.Is(err, state.ErrNotFound) {
		return 0, state.ErrConflict
	}
	if err != nil {
		return 0, storeFailure("update "+chatKey(cycleID), err)
	}
	return r.Version, nil
}

// modifyChat applies change to the current record with compare-and-swap
// (state.Modify); change returns false to leave the record as it is, and
// a cycle without a record is left alone.
func modifyChat(ctx context.Context, st state.Store, cycleID string, change func(*chatRecord) bool) error {
	var codecErr error // not the store's fault: retrying will not help
	_, err := state.Modify(ctx, st, chatKey(cycleID), func(b []byte, found bool) ([]byte, error) {
		if !found {
			return nil, nil
		}
		var rec chatRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			codecErr = fmt.Errorf("decode %s: %w", chatKey(cycleID), err)
			return nil, codecErr
		}
		if !change(&rec) {
			return nil, nil
		}
		out, err := json.Marshal(rec)
		if err != nil {
			codecErr = fmt.Errorf("encode %s: %w", chatKey(cycleID), err)
		}
		return out, codecErr
	})
	if err == nil || err == codecErr || ctx.Err() != nil {
		return err
	}
	return storeFailure("change "+chatKey(cycleID), err)
}

// storeFailure wraps a store error; all but a closed store are worth
// retrying, so the poster treats them as transient.
func storeFailure(doing string, err error) error {
	err = fmt.Errorf("%s: %w", doing, err)
	if errors.Is(err, state.ErrClosed) {
		return err
	}
	return errTransient{err}
}
