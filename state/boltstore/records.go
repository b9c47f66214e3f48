package boltstore

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/patchgate/patchgate/state"
)

// Get returns the record at key.
func (s *Store) Get(ctx context.Context, key string) (state.Record, error) {
	rec := state.Record{Key: key}
	err := s.view(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketRecords).Get([]byte(key))
		if raw == nil {
			return state.ErrNotFound
		}
		var err error
		rec.Version, rec.Value, err = decodeRecord(key, raw)
		return err
	})
	if err != nil {
		return state.Record{}, fmt.Errorf("get %s: %w", key, err)
	}
	return rec, nil
}

// Create stores value at key with version 1 if key is absent.
func (s *Store) Create(ctx context.Context, key string, value []byte) (state.Record, error) {
	if err := validKey("create", key); err != nil {
		return state.Record{}, err
	}
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecords)
		if b.Get([]byte(key)) != nil {
			return state.ErrConflict
		}
		return b.Put([]byte(key), encodeRecord(1, value))
	})
	if err != nil {
		return state.Record{}, fmt.Errorf("create %s: %w", key, err)
	}
	return state.Record{Key: key, Value: value, Version: 1}, nil
}

// Update replaces the value if the stored version equals version.
func (s *Store) Update(ctx context.Context, key string, value []byte, version int64) (state.Record, error) {
	err := s.update(func(tx *bolt.Tx) error { return casRecord(tx, key, value, version) })
	if err != nil {
		return state.Record{}, fmt.Errorf("update %s at version %d: %w", key, version, err)
	}
	return state.Record{Key: key, Value: value, Version: version + 1}, nil
}

// UpdateFenced is Update that first checks, in the same transaction, that
// lease is still the current unexpired holding of lease.Key.
func (s *Store) UpdateFenced(ctx context.Context, lease state.Lease, key string, value []byte, version int64) (state.Record, error) {
	err := s.update(func(tx *bolt.Tx) error {
		if err := checkLease(tx, lease, s.now()); err != nil {
			return err
		}
		return casRecord(tx, key, value, version)
	})
	if err != nil {
		return state.Record{}, fmt.Errorf("update %s at version %d under lease %s token %d: %w",
			key, version, lease.Key, lease.Token, err)
	}
	return state.Record{Key: key, Value: value, Version: version + 1}, nil
}

// casRecord writes value at version+1 if key is at version.
func casRecord(tx *bolt.Tx, key string, value []byte, version int64) error {
	b := tx.Bucket(bucketRecords)
	raw := b.Get([]byte(key))
	if raw == nil {
		return state.ErrNotFound
	}
	current, _, err := decodeRecord(key, raw)
	if err != nil {
		return err
	}
	if current != version {
		return fmt.Errorf("stored version is %d: %w", current, state.ErrConflict)
	}
	return b.Put([]byte(key), encodeRecord(version+1, value))
}

// Delete removes key if its version equals version.
func (s *Store) Delete(ctx context.Context, key string, version int64) error {
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecords)
		raw := b.Get([]byte(key))
		if raw == nil {
			return state.ErrNotFound
		}
		current, _, err := decodeRecord(key, raw)
		if err != nil {
			return err
		}
		if current != version {
			return fmt.Errorf("stored version is %d: %w", current, state.ErrConflict)
		}
		return b.Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("delete %s at version %d: %w", key, version, err)
	}
	return nil
}

// List returns the records under prefix in key order (bbolt's byte order is
// the same as Go's string order).
func (s *Store) List(ctx context.Context, prefix string) ([]state.Record, error) {
	var out []state.Record
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRecords).Cursor()
		p := []byte(prefix)
		for k, raw := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, raw = c.Next() {
			version, value, err := decodeRecord(string(k), raw)
			if err != nil {
				return err
			}
			out = append(out, state.Record{Key: string(k), Value: value, Version: version})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list records under %q: %w", prefix, err)
	}
	return out, nil
}
