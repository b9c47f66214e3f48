package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/patchgate/patchgate/state"
)

// A stream is a list of JSON entries (entry seq at index seq-1) plus a head
// hash {seq, hash} and membership in a sorted set of stream names.
//
// Redis' Lua has no SHA-256, so the entry is built in Go from the head just
// read, and the script appends it only if the head is still that one. When
// another writer got there first the script replies with the current head,
// so the next attempt needs no extra read.

// appendScript: KEYS head, log, stream index; ARGV expected seq, expected
// hash, entry JSON, new seq, new hash, stream name.
// Reply {1} when appended, {0, seq, hash} of the current head otherwise.
var appendScript = redis.NewScript(`
local h = redis.call('HMGET', KEYS[1], 'seq', 'hash')
local seq, hash = h[1] or '0', h[2] or ''
if seq ~= ARGV[1] or hash ~= ARGV[2] then return {0, seq, hash} end
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('HSET', KEYS[1], 'seq', ARGV[4], 'hash', ARGV[5])
if seq == '0' then redis.call('ZADD', KEYS[3], 0, ARGV[6]) end
return {1}
`)

// headRef is the part of the head the next entry chains to.
type headRef struct {
	Seq  int64
	Hash string
}

// prev is the head as NewEntry's predecessor (nil for an empty stream).
func (h headRef) prev() *state.Entry {
	if h.Seq == 0 {
		return nil
	}
	return &state.Entry{Seq: h.Seq, Hash: h.Hash}
}

// Append adds data at the end of stream.
//
// Goroutines of this process append to a stream one at a time (see
// appendStripes), so they do not race each other through Redis; only other
// replicas can move the head under us. When one does, the script's reply
// carries the new head and Append retries at once with it. There is no
// backoff: each round has exactly one winner, so there is no livelock to
// damp, and sleeping would only make the head we hold stale again. With R
// replicas appending to one stream a loser wins the next round with
// probability about 1/R, so maxAppendTries is out of reach of bad luck and
// only stops a pathological loop.
func (s *Store) Append(ctx context.Context, stream string, data []byte) (state.Entry, error) {
	if err := s.check(); err != nil {
		return state.Entry{}, fmt.Errorf("append to stream %s: %w", stream, err)
	}
	st := s.appends.lock(stream)
	defer st.mu.Unlock()
	head, ok := st.cached(stream)
	if !ok {
		var err error
		if head, err = s.readHead(ctx, stream); err != nil {
			return state.Entry{}, fmt.Errorf("append to stream %s: %w", stream, err)
		}
	}
	for range maxAppendTries {
		e, current, err := s.tryAppend(ctx, stream, head, data)
		if err == nil {
			st.remember(stream, headRef{Seq: e.Seq, Hash: e.Hash})
			return e, nil
		}
		if !errors.Is(err, state.ErrConflict) {
			st.forget()
			return state.Entry{}, fmt.Errorf("append to stream %s: %w", stream, err)
		}
		if err := ctx.Err(); err != nil {
			return state.Entry{}, fmt.Errorf("append to stream %s: %w", stream, err)
		}
		head = current
	}
	return state.Entry{}, fmt.Errorf("append to stream %s: head kept moving for %d attempts: %w",
		stream, maxAppendTries, state.ErrConflict)
}

// maxAppendTries bounds Append's compare-and-swap rounds.
const maxAppendTries = 1000

// AppendAt appends only if the entry gets sequence seq; no retry, since a
// moved head means someone else wrote seq.
func (s *Store) AppendAt(ctx context.Context, stream string, seq int64, data []byte) (state.Entry, error) {
	what := fmt.Sprintf("append to stream %s at seq %d", stream, seq)
	if err := s.check(); err != nil {
		return state.Entry{}, fmt.Errorf("%s: %w", what, err)
	}
	if seq < 1 {
		return state.Entry{}, fmt.Errorf("%s: sequences start at 1", what)
	}
	// Read the head fresh: a stale cached head would refuse a valid seq.
	st := s.appends.lock(stream)
	defer st.mu.Unlock()
	st.forget()
	head, err := s.readHead(ctx, stream)
	if err != nil {
		return state.Entry{}, fmt.Errorf("%s: %w", what, err)
	}
	if head.Seq != seq-1 {
		return state.Entry{}, fmt.Errorf("%s: head is at seq %d: %w", what, head.Seq, state.ErrConflict)
	}
	e, current, err := s.tryAppend(ctx, stream, head, data)
	if errors.Is(err, state.ErrConflict) {
		return state.Entry{}, fmt.Errorf("%s: head moved to seq %d: %w", what, current.Seq, err)
	}
	if err != nil {
		return state.Entry{}, fmt.Errorf("%s: %w", what, err)
	}
	st.remember(stream, headRef{Seq: e.Seq, Hash: e.Hash})
	return e, nil
}

// tryAppend writes the entry that follows head. On state.ErrConflict it
// returns the head that won instead.
func (s *Store) tryAppend(ctx context.Context, stream string, head headRef, data []byte) (state.Entry, headRef, error) {
	e := state.NewEntry(stream, head.prev(), s.now(), data)
	raw, err := json.Marshal(e)
	if err != nil {
		return state.Entry{}, head, fmt.Errorf("encode entry %d: %w", e.Seq, err)
	}
	keys := []string{s.keys.head(stream), s.keys.log(stream), s.keys.streamIndex()}
	res, err := appendScript.Run(ctx, s.rdb, keys, head.Seq, head.Hash, raw, e.Seq, e.Hash, stream).Result()
	if err != nil {
		return state.Entry{}, head, redisErr(err)
	}
	a, err := replyArray(res)
	if err != nil {
		return state.Entry{}, head, err
	}
	if ok, _ := replyInt(a[0]); ok == 1 {
		return e, head, nil
	}
	if len(a) != 3 {
		return state.Entry{}, head, fmt.Errorf("unexpected script reply %#v", res)
	}
	seq, err := replyInt(a[1])
	if err != nil {
		return state.Entry{}, head, err
	}
	current := headRef{Seq: seq, Hash: replyString(a[2])}
	if current.Seq == e.Seq && current.Hash == e.Hash {
		// The head is this very entry (its hash covers time and data): the
		// client re-sent the script after a lost reply and the first run
		// already appended it. Retrying would append it twice.
		return e, current, nil
	}
	return state.Entry{}, current, state.ErrConflict
}

// readHead reads a stream's head; an empty stream has head {0, ""}.
func (s *Store) readHead(ctx context.Context, stream string) (headRef, error) {
	vals, err := s.rdb.HMGet(ctx, s.keys.head(stream), "seq", "hash").Result()
	if err != nil {
		return headRef{}, fmt.Errorf("read head: %w", redisErr(err))
	}
	return decodeHead(vals)
}

func decodeHead(vals []any) (headRef, error) {
	if len(vals) != 2 || vals[0] == nil {
		return headRef{}, nil
	}
	seq, err := replyInt(vals[0])
	if err != nil {
		return headRef{}, fmt.Errorf("read head: %w", err)
	}
	return headRef{Seq: seq, Hash: replyString(vals[1])}, nil
}

// Read returns up to limit entries with Seq >= from, by list index.
func (s *Store) Read(ctx context.Context, stream string, from int64, limit int) ([]state.Entry, error) {
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("read stream %s from %d: %w", stream, from, err)
	}
	if from < 1 {
		from = 1
	}
	stop := int64(-1)
	if limit > 0 {
		stop = from - 1 + int64(limit) - 1
	}
	raws, err := s.rdb.LRange(ctx, s.keys.log(stream), from-1, stop).Result()
	if err != nil {
		return nil, fmt.Errorf("read stream %s from %d: %w", stream, from, redisErr(err))
	}
	entries, err := decodeEntries(raws)
	if err != nil {
		return nil, fmt.Errorf("read stream %s from %d: %w", stream, from, err)
	}
	return entries, nil
}

func decodeEntries(raws []string) ([]state.Entry, error) {
	if len(raws) == 0 {
		return nil, nil
	}
	out := make([]state.Entry, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal([]byte(raw), &out[i]); err != nil {
			return nil, fmt.Errorf("decode entry: %w", err)
		}
	}
	return out, nil
}

// Head returns the last entry of stream.
func (s *Store) Head(ctx context.Context, stream string) (state.Entry, error) {
	if err := s.check(); err != nil {
		return state.Entry{}, fmt.Errorf("head of stream %s: %w", stream, err)
	}
	raw, err := s.rdb.LIndex(ctx, s.keys.log(stream), -1).Result()
	if err != nil {
		return state.Entry{}, fmt.Errorf("head of stream %s: %w", stream, redisErr(err))
	}
	var e state.Entry
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		return state.Entry{}, fmt.Errorf("head of stream %s: decode entry: %w", stream, err)
	}
	return e, nil
}

// Streams lists stream names under prefix, sorted, from the stream index.
func (s *Store) Streams(ctx context.Context, prefix string) ([]string, error) {
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("list streams under %q: %w", prefix, err)
	}
	lo, hi := lexRange(prefix)
	names, err := s.rdb.ZRangeByLex(ctx, s.keys.streamIndex(), &redis.ZRangeBy{Min: lo, Max: hi}).Result()
	if err != nil {
		return nil, fmt.Errorf("list streams under %q: %w", prefix, redisErr(err))
	}
	if len(names) == 0 {
		return nil, nil
	}
	return names, nil
}
