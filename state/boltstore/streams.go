package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/patchgate/patchgate/state"
)

// Append adds data at the end of stream.
func (s *Store) Append(ctx context.Context, stream string, data []byte) (state.Entry, error) {
	return s.appendEntry(ctx, stream, 0, data)
}

// AppendAt appends only if the entry gets sequence seq.
func (s *Store) AppendAt(ctx context.Context, stream string, seq int64, data []byte) (state.Entry, error) {
	if seq < 1 {
		return state.Entry{}, fmt.Errorf("append to stream %s at seq %d: sequences start at 1", stream, seq)
	}
	return s.appendEntry(ctx, stream, seq, data)
}

func (s *Store) appendEntry(ctx context.Context, stream string, seq int64, data []byte) (state.Entry, error) {
	if err := validKey("append", stream); err != nil {
		return state.Entry{}, err
	}
	if s.closed.Load() {
		return state.Entry{}, fmt.Errorf("append to stream %s: %w", stream, state.ErrClosed)
	}
	r := &appendReq{stream: stream, seq: seq, data: data}
	s.appends.do(r, s.commitAppends)
	if r.err != nil {
		if seq > 0 {
			return state.Entry{}, fmt.Errorf("append to stream %s at seq %d: %w", stream, seq, r.err)
		}
		return state.Entry{}, fmt.Errorf("append to stream %s: %w", stream, r.err)
	}
	return r.entry, nil
}

// commitAppends writes a batch in one transaction. A conflicting AppendAt
// fails alone; a storage error fails the whole batch, since nothing of it was
// committed.
func (s *Store) commitAppends(batch []*appendReq) {
	err := s.update(func(tx *bolt.Tx) error {
		now := s.now()
		for _, r := range batch {
			r.entry, r.err = appendInTx(tx, r.stream, r.seq, r.data, now)
			if r.err != nil && !errors.Is(r.err, state.ErrConflict) {
				return r.err
			}
		}
		return nil
	})
	for _, r := range batch {
		if err != nil {
			r.entry, r.err = state.Entry{}, err
		}
		close(r.done)
	}
}

// appendInTx chains the new entry to the head stored in the same
// transaction, so no other append can slip in between.
func appendInTx(tx *bolt.Tx, stream string, seq int64, data []byte, now time.Time) (state.Entry, error) {
	heads := tx.Bucket(bucketHeads)
	var prev *state.Entry
	if raw := heads.Get([]byte(stream)); raw != nil {
		h, err := decodeHead(stream, raw)
		if err != nil {
			return state.Entry{}, err
		}
		prev = &state.Entry{Seq: h.Seq, Hash: h.Hash}
	}
	if seq > 0 {
		headSeq := int64(0)
		if prev != nil {
			headSeq = prev.Seq
		}
		if headSeq != seq-1 {
			return state.Entry{}, fmt.Errorf("head is at seq %d: %w", headSeq, state.ErrConflict)
		}
	}
	entries, err := tx.Bucket(bucketStreams).CreateBucketIfNotExists([]byte(stream))
	if err != nil {
		return state.Entry{}, err
	}
	e := state.NewEntry(stream, prev, now, data)
	raw, err := json.Marshal(e)
	if err != nil {
		return state.Entry{}, fmt.Errorf("encode entry %d: %w", e.Seq, err)
	}
	if err := entries.Put(seqKey(e.Seq), raw); err != nil {
		return state.Entry{}, err
	}
	if err := heads.Put([]byte(stream), encodeHead(head{Seq: e.Seq, Hash: e.Hash})); err != nil {
		return state.Entry{}, err
	}
	return e, nil
}

// Read returns up to limit entries with Seq >= from.
func (s *Store) Read(ctx context.Context, stream string, from int64, limit int) ([]state.Entry, error) {
	if from < 1 {
		from = 1
	}
	var out []state.Entry
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		out, _, err = readInTx(tx, stream, from, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read stream %s from %d: %w", stream, from, err)
	}
	return out, nil
}

// readInTx decodes up to limit entries from seq from on (limit <= 0: all)
// and reports whether the cursor reached the end of the stream.
func readInTx(tx *bolt.Tx, stream string, from int64, limit int) (entries []state.Entry, atEnd bool, err error) {
	b := tx.Bucket(bucketStreams).Bucket([]byte(stream))
	if b == nil {
		return nil, true, nil
	}
	c := b.Cursor()
	for k, raw := c.Seek(seqKey(from)); ; k, raw = c.Next() {
		if k == nil {
			return entries, true, nil
		}
		if limit > 0 && len(entries) == limit {
			return entries, false, nil
		}
		var e state.Entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, false, fmt.Errorf("decode entry at key %x: %w", k, err)
		}
		entries = append(entries, e)
	}
}

// Head returns the last entry of stream.
func (s *Store) Head(ctx context.Context, stream string) (state.Entry, error) {
	var e state.Entry
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketStreams).Bucket([]byte(stream))
		if b == nil {
			return state.ErrNotFound
		}
		k, raw := b.Cursor().Last()
		if k == nil {
			return state.ErrNotFound
		}
		return json.Unmarshal(raw, &e)
	})
	if err != nil {
		return state.Entry{}, fmt.Errorf("head of stream %s: %w", stream, err)
	}
	return e, nil
}

// Streams lists stream names under prefix, sorted.
func (s *Store) Streams(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketHeads).Cursor()
		p := []byte(prefix)
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			out = append(out, string(k))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list streams under %q: %w", prefix, err)
	}
	return out, nil
}
