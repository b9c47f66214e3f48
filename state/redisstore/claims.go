package redisstore

import (
	"context"
	"fmt"
	"time"
)

// Claim is SET NX PX: Redis sets the key for exactly one caller and expires
// it by itself after ttl.
func (s *Store) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := s.check(); err != nil {
		return false, fmt.Errorf("claim %s: %w", key, err)
	}
	if ttl < time.Millisecond {
		return false, fmt.Errorf("claim %s: ttl must be at least 1ms, got %s", key, ttl)
	}
	ok, err := s.rdb.SetNX(ctx, s.keys.claim(key), 1, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", key, redisErr(err))
	}
	return ok, nil
}
