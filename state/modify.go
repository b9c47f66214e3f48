package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// MaxModifyAttempts bounds the read-change-write rounds of Modify: each lost
// compare-and-swap means another writer changed the record in between, and
// twenty in a row means a writer storm the caller should hear about rather
// than spin through.
const MaxModifyAttempts = 20

// ErrContended is returned (wrapped, with the key) when Modify lost
// MaxModifyAttempts compare-and-swaps in a row.
var ErrContended = errors.New("state: too many concurrent changes")

// Modify reads key, passes its value to change (nil and found false when
// absent) and writes what change returns with compare-and-swap: Create when
// the key was absent, Update at the version read otherwise. A write that
// loses to another writer (ErrConflict, or ErrNotFound when the record was
// deleted in between) starts again from the read, at most
// MaxModifyAttempts times. change returns nil to write nothing; its error
// ends Modify as it is. Modify returns the record written (zero when
// nothing was written) and every store error wrapped with the key.
func Modify(ctx context.Context, st Store, key string, change func(cur []byte, found bool) ([]byte, error)) (Record, error) {
	for range MaxModifyAttempts {
		if err := ctx.Err(); err != nil {
			return Record{}, err
		}
		cur, err := st.Get(ctx, key)
		found := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Record{}, fmt.Errorf("read %s: %w", key, err)
		}
		next, err := change(cur.Value, found)
		if err != nil || next == nil {
			return Record{}, err
		}
		var rec Record
		if found {
			rec, err = st.Update(ctx, key, next, cur.Version)
		} else {
			rec, err = st.Create(ctx, key, next)
		}
		switch {
		case err == nil:
			return rec, nil
		case errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound):
			continue
		default:
			return Record{}, fmt.Errorf("write %s: %w", key, err)
		}
	}
	return Record{}, fmt.Errorf("write %s: %w", key, ErrContended)
}

// ModifyJSON is Modify over a JSON-encoded T: change gets the current value
// (nil when absent) and returns the next one (nil to write nothing). A
// value that does not decode or encode is an error, never a silent write.
func ModifyJSON[T any](ctx context.Context, st Store, key string, change func(cur *T) (*T, error)) (*T, error) {
	var out *T
	_, err := Modify(ctx, st, key, func(b []byte, found bool) ([]byte, error) {
		var cur *T
		if found {
			cur = new(T)
			if err := json.Unmarshal(b, cur); err != nil {
				return nil, fmt.Errorf("decode %s: %w", key, err)
			}
		}
		next, err := change(cur)
		if err != nil || next == nil {
			out = nil
			return nil, err
		}
		enc, err := json.Marshal(next)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", key, err)
		}
		out = next
		return enc, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
