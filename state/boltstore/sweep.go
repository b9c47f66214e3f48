package boltstore

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// sweepExpired deletes claims, leases and records whose time is up, so idempotency
// keys do not pile up in the file forever. It runs at Open.
func sweepExpired(tx *bolt.Tx, now time.Time) error {
	var stale [][]byte
	claims := tx.Bucket(bucketClaims)
	_ = claims.ForEach(func(k, v []byte) error {
		if len(v) != 8 || getUint64(v) <= now.UnixNano() {
			stale = append(stale, append([]byte(nil), k...))
		}
		return nil
	})
	for _, k := range stale {
		if err := claims.Delete(k); err != nil {
			return fmt.Errorf("sweep expired claim %s: %w", k, err)
		}
	}
	stale = stale[:0]
	leases := tx.Bucket(bucketLeases)
	_ = leases.ForEach(func(k, v []byte) error {
		if l, err := decodeLease(string(k), v); err == nil && !l.Expires.After(now) {
			stale = append(stale, append([]byte(nil), k...))
		}
		return nil
	})
	for _, k := range stale {
		if err := leases.Delete(k); err != nil {
			return fmt.Errorf("sweep expired lease %s: %w", k, err)
		}
	}
	return sweepRecords(tx, now, -1)
}
