package boltstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/patchgate/patchgate/state"
)

// AcquireLease takes key for holder. A live lease of the same holder is
// extended with its token kept; a free or expired lease gets the next value of
// the key's fence counter, which lives in its own bucket and is never reset,
// so tokens strictly increase across hand-overs and re-opens.
func (s *Store) AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (state.Lease, error) {
	if err := validKey("acquire lease", key); err != nil {
		return state.Lease{}, err
	}
	if ttl <= 0 {
		return state.Lease{}, fmt.Errorf("acquire lease %s: ttl must be positive, got %s", key, ttl)
	}
	var out state.Lease
	err := s.update(func(tx *bolt.Tx) error {
		now := s.now() // read under the write lock, not before waiting for it
		leases := tx.Bucket(bucketLeases)
		next := leaseValue{Holder: holder, Expires: now.Add(ttl)}
		if raw := leases.Get([]byte(key)); raw != nil {
			cur, err := decodeLease(key, raw)
			if err != nil {
				return err
			}
			live := cur.Expires.After(now)
			if live && cur.Holder != holder {
				return &state.HeldError{Key: key, Holder: cur.Holder, Expires: cur.Expires}
			}
			if live {
				next.Token = cur.Token
			}
		}
		if next.Token == 0 {
			fences := tx.Bucket(bucketFences)
			if raw := fences.Get([]byte(key)); len(raw) == 8 {
				next.Token = getUint64(raw)
			}
			next.Token++
			if err := fences.Put([]byte(key), putUint64(next.Token)); err != nil {
				return err
			}
		}
		out = state.Lease{Key: key, Holder: holder, Token: next.Token, Expires: next.Expires}
		return putLease(tx, key, next)
	})
	if err != nil {
		return state.Lease{}, fmt.Errorf("acquire lease %s for %s: %w", key, holder, err)
	}
	return out, nil
}

// RenewLease extends lease if it is still the current, unexpired holding.
func (s *Store) RenewLease(ctx context.Context, lease state.Lease, ttl time.Duration) (state.Lease, error) {
	if ttl <= 0 {
		return state.Lease{}, fmt.Errorf("renew lease %s: ttl must be positive, got %s", lease.Key, ttl)
	}
	err := s.update(func(tx *bolt.Tx) error {
		now := s.now() // read under the write lock, not before waiting for it
		if err := checkLease(tx, lease, now); err != nil {
			return err
		}
		lease.Expires = now.Add(ttl)
		return putLease(tx, lease.Key, leaseValue{Holder: lease.Holder, Token: lease.Token, Expires: lease.Expires})
	})
	if err != nil {
		return state.Lease{}, fmt.Errorf("renew lease %s for %s token %d: %w", lease.Key, lease.Holder, lease.Token, err)
	}
	return lease, nil
}

// ReleaseLease gives lease up if it is still the current, unexpired holding.
func (s *Store) ReleaseLease(ctx context.Context, lease state.Lease) error {
	err := s.update(func(tx *bolt.Tx) error {
		if err := checkLease(tx, lease, s.now()); err != nil {
			return err
		}
		return tx.Bucket(bucketLeases).Delete([]byte(lease.Key))
	})
	if err != nil {
		return fmt.Errorf("release lease %s for %s token %d: %w", lease.Key, lease.Holder, lease.Token, err)
	}
	return nil
}

// checkLease fails with state.ErrLeaseLost unless lease is the stored,
// unexpired holding of its key. An expired lease counts as lost even if no one
// took it yet, matching Redis, where the key is simply gone.
func checkLease(tx *bolt.Tx, lease state.Lease, now time.Time) error {
	raw := tx.Bucket(bucketLeases).Get([]byte(lease.Key))
	if raw == nil {
		return state.ErrLeaseLost
	}
	cur, err := decodeLease(lease.Key, raw)
	if err != nil {
		return err
	}
	if cur.Token != lease.Token || cur.Holder != lease.Holder || !cur.Expires.After(now) {
		return state.ErrLeaseLost
	}
	return nil
}

func putLease(tx *bolt.Tx, key string, l leaseValue) error {
	raw, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("encode lease %s: %w", key, err)
	}
	return tx.Bucket(bucketLeases).Put([]byte(key), raw)
}
