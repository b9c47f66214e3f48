package scale

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/patchgate/patchgate/state"
)

// meter is a state.Store that counts what is written through it: bytes of
// record values and stream entries, the largest value and the largest cycle
// record (the record every tick lists and decodes).
type meter struct {
	state.Store

	mu       sync.Mutex
	written  int64
	writes   int64
	maxValue int
	maxKey   string
	maxCycle int
}

func (m *meter) note(key string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.written += int64(n)
	m.writes++
	if n > m.maxValue {
		m.maxValue, m.maxKey = n, key
	}
	if strings.HasPrefix(key, "cycles/") && n > m.maxCycle {
		m.maxCycle = n
	}
}

func (m *meter) Create(ctx context.Context, key string, value []byte) (state.Record, error) {
	m.note(key, len(value))
	return m.Store.Create(ctx, key, value)
}

func (m *meter) Update(ctx context.Context, key string, value []byte, version int64) (state.Record, error) {
	m.note(key, len(value))
	return m.Store.Update(ctx, key, value, version)
}

func (m *meter) UpdateFenced(ctx context.Context, lease state.Lease, key string, value []byte, version int64) (state.Record, error) {
	m.note(key, len(value))
	return m.Store.UpdateFenced(ctx, lease, key, value, version)
}

func (m *meter) Append(ctx context.Context, stream string, data []byte) (state.Entry, error) {
	m.note(stream, len(data))
	return m.Store.Append(ctx, stream, data)
}

func (m *meter) AppendAt(ctx context.Context, stream string, seq int64, data []byte) (state.Entry, error) {
	m.note(stream, len(data))
	return m.Store.AppendAt(ctx, stream, seq, data)
}

// store is m as the engine and bot use it: with the wrapped store's record
// lifetimes (state.Expiring) when it keeps them, so remediation claims get
// theirs, and only then, so the engine's type check sees what the store is.
func (m *meter) store() state.Store {
	if x, ok := m.Store.(state.Expiring); ok {
		return &expiringMeter{meter: m, x: x}
	}
	return m
}

// expiringMeter is a meter over a store that keeps record lifetimes.
type expiringMeter struct {
	*meter
	x state.Expiring
}

func (m *expiringMeter) CreateTTL(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Record, error) {
	m.note(key, len(value))
	return m.x.CreateTTL(ctx, key, value, ttl)
}

var _ state.Expiring = (*expiringMeter)(nil)

// snapshot returns the counters so far.
func (m *meter) snapshot() (written, writes int64, maxValue int, maxKey string, maxCycle int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.written, m.writes, m.maxValue, m.maxKey, m.maxCycle
}
