package scale

import (
	"strings"
	"sync"

	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/storetest"
)

// meter counts what is written through its store(): bytes of record
// values and stream entries, the largest value and the largest cycle
// record (the record every tick lists and decodes). Reads of its own go to
// the wrapped store.
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

// store is m as the engine and bot use it: every write counted on its way
// to the wrapped store, whose record lifetimes (state.Expiring) it keeps
// when the wrapped store keeps them, and only then.
func (m *meter) store() state.Store { return storetest.Observe(m.Store, m.note) }

// snapshot returns the counters so far.
func (m *meter) snapshot() (written, writes int64, maxValue int, maxKey string, maxCycle int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.written, m.writes, m.maxValue, m.maxKey, m.maxCycle
}
