package state

import (
	"context"
	"time"
)

// Expiring is a Store that can give a record a lifetime: idempotency keys
// that must be recognised for a while (a redelivered event) but not kept
// forever. Callers check for it with a type assertion.
type Expiring interface {
	// CreateTTL is Create for a record that is deleted once ttl has passed:
	// by Redis itself at ttl (redisstore), by bbolt's sweeps after ttl
	// (boltstore sweeps a few on every CreateTTL and all at Open, so a
	// record may outlive ttl a little there, never the other way). Update
	// keeps the lifetime. List does not return such records on Redis and
	// may on bbolt: callers keep them under a prefix nobody lists. On
	// bbolt the lifetime belongs to the key until it ends: a key deleted
	// and created again without one before then is still swept.
	CreateTTL(ctx context.Context, key string, value []byte, ttl time.Duration) (Record, error)
}
