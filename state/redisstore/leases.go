package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/patchgate/patchgate/state"
)

// A lease is a hash {holder, token, exp} whose Redis TTL (PX) is the lease's
// life: when it expires the key is gone and anyone may take it. exp (Unix ms
// by Redis' clock) is kept only to tell a refused caller until when. Tokens
// come from INCR on a separate fence key that never expires, so they
// strictly increase across hand-overs.

// nowMS is Redis' clock in milliseconds, read inside a script so every
// replica measures leases by the same clock.
const nowMS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// acquireScript: KEYS lease, fence; ARGV holder, ttl ms.
// Reply {1, holder, token, exp} when taken or extended, {0, holder, token,
// exp} of the other holder when refused.
var acquireScript = redis.NewScript(nowMS + `
local exp = string.format('%.0f', now + tonumber(ARGV[2]))
local cur = redis.call('HMGET', KEYS[1], 'holder', 'token', 'exp')
if cur[1] and cur[1] ~= ARGV[1] then
  return {0, cur[1], cur[2], cur[3]}
end
local token = cur[2]
if not cur[1] then
  token = tostring(redis.call('INCR', KEYS[2]))
end
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'token', token, 'exp', exp)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, ARGV[1], token, exp}
`)

// renewScript: KEYS lease; ARGV holder, token, ttl ms. Reply {1, exp} or {0}.
var renewScript = redis.NewScript(nowMS + `
local cur = redis.call('HMGET', KEYS[1], 'holder', 'token')
if cur[1] ~= ARGV[1] or cur[2] ~= ARGV[2] then return {0} end
local exp = string.format('%.0f', now + tonumber(ARGV[3]))
redis.call('HSET', KEYS[1], 'exp', exp)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, exp}
`)

// releaseScript: KEYS lease; ARGV holder, token. Reply 1 or 0.
var releaseScript = redis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 'holder', 'token')
if cur[1] ~= ARGV[1] or cur[2] ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`)

// AcquireLease takes key for holder for ttl.
func (s *Store) AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (state.Lease, error) {
	what := fmt.Sprintf("acquire lease %s for %s", key, holder)
	if err := s.check(); err != nil {
		return state.Lease{}, fmt.Errorf("%s: %w", what, err)
	}
	if ttl < time.Millisecond {
		return state.Lease{}, fmt.Errorf("%s: ttl must be at least 1ms, got %s", what, ttl)
	}
	res, err := acquireScript.Run(ctx, s.rdb, []string{s.keys.lease(key), s.keys.fence(key)}, holder, ttl.Milliseconds()).Result()
	if err != nil {
		return state.Lease{}, fmt.Errorf("%s: %w", what, redisErr(err))
	}
	a, err := replyArray(res)
	if err == nil && len(a) != 4 {
		err = fmt.Errorf("unexpected script reply %#v", res)
	}
	var token, exp int64
	if err == nil {
		token, err = replyInt(a[2])
	}
	if err == nil {
		exp, err = replyInt(a[3])
	}
	if err != nil {
		return state.Lease{}, fmt.Errorf("%s: %w", what, err)
	}
	if ok, _ := replyInt(a[0]); ok == 0 {
		held := &state.HeldError{Key: key, Holder: replyString(a[1]), Expires: time.UnixMilli(exp)}
		return state.Lease{}, fmt.Errorf("%s: %w", what, held)
	}
	return state.Lease{Key: key, Holder: holder, Token: token, Expires: time.UnixMilli(exp)}, nil
}

// RenewLease extends lease if it is still the current holding.
func (s *Store) RenewLease(ctx context.Context, lease state.Lease, ttl time.Duration) (state.Lease, error) {
	what := fmt.Sprintf("renew lease %s for %s token %d", lease.Key, lease.Holder, lease.Token)
	if err := s.check(); err != nil {
		return state.Lease{}, fmt.Errorf("%s: %w", what, err)
	}
	if ttl < time.Millisecond {
		return state.Lease{}, fmt.Errorf("%s: ttl must be at least 1ms, got %s", what, ttl)
	}
	res, err := renewScript.Run(ctx, s.rdb, []string{s.keys.lease(lease.Key)}, lease.Holder, lease.Token, ttl.Milliseconds()).Result()
	if err != nil {
		return state.Lease{}, fmt.Errorf("%s: %w", what, redisErr(err))
	}
	a, err := replyArray(res)
	if err != nil {
		return state.Lease{}, fmt.Errorf("%s: %w", what, err)
	}
	if ok, _ := replyInt(a[0]); ok == 0 || len(a) != 2 {
		return state.Lease{}, fmt.Errorf("%s: %w", what, state.ErrLeaseLost)
	}
	exp, err := replyInt(a[1])
	if err != nil {
		return state.Lease{}, fmt.Errorf("%s: %w", what, err)
	}
	lease.Expires = time.UnixMilli(exp)
	return lease, nil
}

// ReleaseLease gives lease up if it is still the current holding.
func (s *Store) ReleaseLease(ctx context.Context, lease state.Lease) error {
	what := fmt.Sprintf("release lease %s for %s token %d", lease.Key, lease.Holder, lease.Token)
	if err := s.check(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	ok, err := releaseScript.Run(ctx, s.rdb, []string{s.keys.lease(lease.Key)}, lease.Holder, lease.Token).Int64()
	if err != nil {
		return fmt.Errorf("%s: %w", what, redisErr(err))
	}
	if ok == 0 {
		return fmt.Errorf("%s: %w", what, state.ErrLeaseLost)
	}
	return nil
}
