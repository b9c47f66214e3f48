package boltstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Claim records key as taken until now+ttl. The check and the write share one
// transaction, so among any number of concurrent callers exactly one wins.
func (s *Store) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := validKey("claim", key); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, fmt.Errorf("claim %s: ttl must be positive, got %s", key, ttl)
	}
	err := s.update(func(tx *bolt.Tx) error {
		now := s.now() // read under the write lock, not before waiting for it
		b := tx.Bucket(bucketClaims)
		if raw := b.Get([]byte(key)); len(raw) == 8 && now.UnixNano() < getUint64(raw) {
			return errRefused
		}
		return b.Put([]byte(key), putUint64(now.Add(ttl).UnixNano()))
	})
	if errors.Is(err, errRefused) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", key, err)
	}
	return true, nil
}
