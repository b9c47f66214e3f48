package storetest

import (
	"context"
	"time"

	"github.com/patchgate/patchgate/state"
)

// Observe wraps st so note hears of every value written through it, before
// the write: record values by key, stream entries by stream, with their
// size. Reads go straight to st. The wrapper keeps record lifetimes
// (state.Expiring) exactly when st does, so code that checks for them sees
// the store it would see without the wrapper.
func Observe(st state.Store, note func(key string, n int)) state.Store {
	o := &observed{Store: st, note: note}
	if x, ok := st.(state.Expiring); ok {
		return &observedTTL{observed: o, x: x}
	}
	return o
}

type observed struct {
	state.Store
	note func(key string, n int)
}

func (o *observed) Create(ctx context.Context, key string, value []byte) (state.Record, error) {
	o.note(key, len(value))
	return o.Store.Create(ctx, key, value)
}

func (o *observed) Update(ctx context.Context, key string, value []byte, version int64) (state.Record, error) {
	o.note(key, len(value))
	return o.Store.Update(ctx, key, value, version)
}

func (o *observed) UpdateFenced(ctx context.Context, lease state.Lease, key string, value []byte, version int64) (state.Record, error) {
	o.note(key, len(value))
	return o.Store.UpdateFenced(ctx, lease, key, value, version)
}

func (o *observed) Append(ctx context.Context, stream string, data []byte) (state.Entry, error) {
	o.note(stream, len(data))
	return o.Store.Append(ctx, stream, data)
}

func (o *observed) AppendAt(ctx context.Context, stream string, seq int64, data []byte) (state.Entry, error) {
	o.note(stream, len(data))
	return o.Store.AppendAt(ctx, stream, seq, data)
}

// observedTTL is observed over a store that keeps record lifetimes.
type observedTTL struct {
	*observed
	x state.Expiring
}

func (o *observedTTL) CreateTTL(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Record, error) {
	o.note(key, len(value))
	return o.x.CreateTTL(ctx, key, value, ttl)
}

var _ state.Expiring = (*observedTTL)(nil)
