package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/patchgate/patchgate/state"
)

// createTTLScript: KEYS record; ARGV data, ttl ms. The record is left out of
// the List index: Redis deletes the hash itself and would leave the index
// member behind.
var createTTLScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return -2 end
redis.call('HSET', KEYS[1], 'v', 1, 'd', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`)

// CreateTTL stores value at key with version 1 if key is absent; Redis
// deletes it after ttl (state.Expiring). HSET in Update keeps the expiry.
func (s *Store) CreateTTL(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Record, error) {
	if err := s.check(); err != nil {
		return state.Record{}, fmt.Errorf("create %s: %w", key, err)
	}
	if ttl < time.Millisecond {
		return state.Record{}, fmt.Errorf("create %s: ttl must be at least 1ms, got %s", key, ttl)
	}
	code, err := createTTLScript.Run(ctx, s.rdb, []string{s.keys.record(key)}, value, ttl.Milliseconds()).Int64()
	if err == nil {
		err = codeErr(code)
	}
	if err != nil {
		return state.Record{}, fmt.Errorf("create %s: %w", key, redisErr(err))
	}
	return state.Record{Key: key, Value: value, Version: 1}, nil
}
