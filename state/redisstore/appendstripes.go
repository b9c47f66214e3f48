package redisstore

import (
	"hash/maphash"
	"sync"
)

// appendStripes serialises this process's appends per stream and remembers
// the head each stripe last wrote, so a replica appending to its own stream
// sends one script per entry instead of reading the head first.
//
// A fixed array of stripes, picked by hashing the stream name, keeps memory
// bounded however many streams exist; two streams sharing a stripe take
// turns and evict each other's cached head, which only costs a read. The
// cache may be stale (another replica appended): the append script then
// refuses it and replies with the real head, so staleness costs one round
// trip and never correctness.
type appendStripes struct {
	once    sync.Once
	seed    maphash.Seed
	stripes [64]appendStripe
}

type appendStripe struct {
	mu     sync.Mutex
	stream string // whose head is cached; "" for none
	head   headRef
}

// lock returns the stream's stripe, locked; the caller unlocks st.mu.
func (a *appendStripes) lock(stream string) *appendStripe {
	a.once.Do(func() { a.seed = maphash.MakeSeed() })
	st := &a.stripes[maphash.String(a.seed, stream)%uint64(len(a.stripes))]
	st.mu.Lock()
	return st
}

// cached returns the remembered head of stream, if this stripe holds it.
func (st *appendStripe) cached(stream string) (headRef, bool) {
	if st.stream != stream || stream == "" {
		return headRef{}, false
	}
	return st.head, true
}

// remember records the head this process just wrote.
func (st *appendStripe) remember(stream string, h headRef) { st.stream, st.head = stream, h }

// forget drops the cache after an error left the head unknown.
func (st *appendStripe) forget() { st.stream, st.head = "", headRef{} }
