package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/patchgate/patchgate/state"
)

// bucketExpiry orders records created with a lifetime by when it ends:
// key = 8-byte expiry (Unix ns, big-endian) + record key, value empty. The
// order lets a sweep stop at the first key still alive.
var bucketExpiry = []byte("expiry")

// sweepPerCreate is how many expired records each CreateTTL removes, so
// the expired never outnumber what a long-running process keeps creating.
const sweepPerCreate = 2

// CreateTTL stores value at key with version 1 if key is absent, deleted by
// a sweep once ttl has passed (state.Expiring).
func (s *Store) CreateTTL(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Record, error) {
	if err := validKey("create", key); err != nil {
		return state.Record{}, err
	}
	if ttl <= 0 {
		return state.Record{}, fmt.Errorf("create %s: ttl must be positive, got %s", key, ttl)
	}
	err := s.update(func(tx *bolt.Tx) error {
		now := s.now()
		if err := sweepRecords(tx, now, sweepPerCreate); err != nil {
			return err
		}
		b := tx.Bucket(bucketRecords)
		if b.Get([]byte(key)) != nil {
			return state.ErrConflict
		}
		if err := b.Put([]byte(key), encodeRecord(1, value)); err != nil {
			return err
		}
		return tx.Bucket(bucketExpiry).Put(append(putUint64(now.Add(ttl).UnixNano()), key...), nil)
	})
	if err != nil {
		return state.Record{}, fmt.Errorf("create %s: %w", key, err)
	}
	return state.Record{Key: key, Value: value, Version: 1}, nil
}

// sweepRecords deletes up to limit records whose lifetime ended by now
// (limit < 0: all of them).
func sweepRecords(tx *bolt.Tx, now time.Time, limit int) error {
	exp := tx.Bucket(bucketExpiry)
	recs := tx.Bucket(bucketRecords)
	deadline := putUint64(now.UnixNano())
	var done [][]byte
	c := exp.Cursor()
	for k, _ := c.First(); len(k) > 8 && bytes.Compare(k[:8], deadline) <= 0 && limit != 0; k, _ = c.Next() {
		done = append(done, append([]byte(nil), k...))
		limit--
	}
	for _, k := range done {
		if err := recs.Delete(k[8:]); err != nil {
			return fmt.Errorf("sweep expired record %s: %w", k[8:], err)
		}
		if err := exp.Delete(k); err != nil {
			return fmt.Errorf("sweep expiry of %s: %w", k[8:], err)
		}
	}
	return nil
}
