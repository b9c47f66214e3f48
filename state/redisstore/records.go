package redisstore

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/patchgate/patchgate/state"
)

// A record is a hash {v: version, d: data}. Its key is also a member of a
// sorted set (all scores 0) so List can range over keys by prefix with
// ZRANGEBYLEX instead of SCANning the whole keyspace. Create and Delete keep
// the index in the same script as the record.

// Script status codes shared by the record scripts.
const (
	codeNotFound  = -1
	codeConflict  = -2
	codeLeaseLost = -3
)

// createScript: KEYS record, index; ARGV data, key.
var createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return -2 end
redis.call('HSET', KEYS[1], 'v', 1, 'd', ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[2])
return 1
`)

// casBody compares the stored version with ARGV[2] and writes ARGV[1] at
// version+1. It expects the record at KEYS[rec].
const casBody = `
local v = redis.call('HGET', KEYS[rec], 'v')
if not v then return -1 end
if v ~= ARGV[2] then return -2 end
local nv = tonumber(v) + 1
redis.call('HSET', KEYS[rec], 'v', nv, 'd', ARGV[1])
return nv
`

// updateScript: KEYS record; ARGV data, version.
var updateScript = redis.NewScript("local rec = 1\n" + casBody)

// updateFencedScript: KEYS lease, record; ARGV data, version, holder, token.
// The lease check and the compare-and-swap are one script, so a lease cannot
// expire or change hands between them.
var updateFencedScript = redis.NewScript(`
local l = redis.call('HMGET', KEYS[1], 'holder', 'token')
if l[1] ~= ARGV[3] or l[2] ~= ARGV[4] then return -3 end
local rec = 2
` + casBody)

// deleteScript: KEYS record, index; ARGV version, key.
var deleteScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return -1 end
if v ~= ARGV[1] then return -2 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
`)

// Get returns the record at key.
func (s *Store) Get(ctx context.Context, key string) (state.Record, error) {
	if err := s.check(); err != nil {
		return state.Record{}, fmt.Errorf("get %s: %w", key, err)
	}
	vals, err := s.rdb.HMGet(ctx, s.keys.record(key), "v", "d").Result()
	if err != nil {
		return state.Record{}, fmt.Errorf("get %s: %w", key, redisErr(err))
	}
	rec, ok, err := decodeRecord(key, vals)
	if err != nil {
		return state.Record{}, fmt.Errorf("get %s: %w", key, err)
	}
	if !ok {
		return state.Record{}, fmt.Errorf("get %s: %w", key, state.ErrNotFound)
	}
	return rec, nil
}

// decodeRecord reads an HMGET v d reply; ok is false if the record is absent.
func decodeRecord(key string, vals []any) (rec state.Record, ok bool, err error) {
	if len(vals) != 2 || vals[0] == nil {
		return state.Record{}, false, nil
	}
	version, err := replyInt(vals[0])
	if err != nil {
		return state.Record{}, false, fmt.Errorf("record %s version: %w", key, err)
	}
	return state.Record{Key: key, Value: []byte(replyString(vals[1])), Version: version}, true, nil
}

// Create stores value at key with version 1 if key is absent.
func (s *Store) Create(ctx context.Context, key string, value []byte) (state.Record, error) {
	if err := s.check(); err != nil {
		return state.Record{}, fmt.Errorf("create %s: %w", key, err)
	}
	code, err := createScript.Run(ctx, s.rdb, []string{s.keys.record(key), s.keys.recordIndex()}, value, key).Int64()
	if err == nil {
		err = codeErr(code)
	}
	if err != nil {
		return state.Record{}, fmt.Errorf("create %s: %w", key, redisErr(err))
	}
	return state.Record{Key: key, Value: value, Version: 1}, nil
}

// Update replaces the value if the stored version equals version.
func (s *Store) Update(ctx context.Context, key string, value []byte, version int64) (state.Record, error) {
	if err := s.check(); err != nil {
		return state.Record{}, fmt.Errorf("update %s at version %d: %w", key, version, err)
	}
	code, err := updateScript.Run(ctx, s.rdb, []string{s.keys.record(key)}, value, version).Int64()
	if err == nil {
		err = codeErr(code)
	}
	if err != nil {
		return state.Record{}, fmt.Errorf("update %s at version %d: %w", key, version, redisErr(err))
	}
	return state.Record{Key: key, Value: value, Version: code}, nil
}

// UpdateFenced is Update that also requires lease to be the current holding.
func (s *Store) UpdateFenced(ctx context.Context, lease state.Lease, key string, value []byte, version int64) (state.Record, error) {
	what := fmt.Sprintf("update %s at version %d under lease %s token %d", key, version, lease.Key, lease.Token)
	if err := s.check(); err != nil {
		return state.Record{}, fmt.Errorf("%s: %w", what, err)
	}
	code, err := updateFencedScript.Run(ctx, s.rdb, []string{s.keys.lease(lease.Key), s.keys.record(key)},
		value, version, lease.Holder, lease.Token).Int64()
	if err == nil {
		err = codeErr(code)
	}
	if err != nil {
		return state.Record{}, fmt.Errorf("%s: %w", what, redisErr(err))
	}
	return state.Record{Key: key, Value: value, Version: code}, nil
}

// Delete removes key if its version equals version.
func (s *Store) Delete(ctx context.Context, key string, version int64) error {
	if err := s.check(); err != nil {
		return fmt.Errorf("delete %s at version %d: %w", key, version, err)
	}
	code, err := deleteScript.Run(ctx, s.rdb, []string{s.keys.record(key), s.keys.recordIndex()}, version, key).Int64()
	if err == nil {
		err = codeErr(code)
	}
	if err != nil {
		return fmt.Errorf("delete %s at version %d: %w", key, version, redisErr(err))
	}
	return nil
}

// codeErr turns a script's negative status into a state sentinel.
func codeErr(code int64) error {
	switch code {
	case codeNotFound:
		return state.ErrNotFound
	case codeConflict:
		return state.ErrConflict
	case codeLeaseLost:
		return state.ErrLeaseLost
	}
	return nil
}

// listPage is how many keys List takes from the index per round trip.
const listPage = 512

// List returns the records under prefix, sorted by key. It pages through the
// index by key (not by offset, which would shift under concurrent deletes)
// and fetches each page's values in one pipeline; a key deleted between the
// two steps is skipped.
func (s *Store) List(ctx context.Context, prefix string) ([]state.Record, error) {
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("list records under %q: %w", prefix, err)
	}
	var out []state.Record
	lo, hi := lexRange(prefix)
	for {
		keys, err := s.rdb.ZRangeByLex(ctx, s.keys.recordIndex(), &redis.ZRangeBy{Min: lo, Max: hi, Count: listPage}).Result()
		if err != nil {
			return nil, fmt.Errorf("list records under %q: %w", prefix, redisErr(err))
		}
		if len(keys) == 0 {
			return out, nil
		}
		cmds := make([]*redis.SliceCmd, len(keys))
		_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range keys {
				cmds[i] = p.HMGet(ctx, s.keys.record(k), "v", "d")
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list records under %q: fetch %d values: %w", prefix, len(keys), redisErr(err))
		}
		for i, k := range keys {
			rec, ok, err := decodeRecord(k, cmds[i].Val())
			if err != nil {
				return nil, fmt.Errorf("list records under %q: %w", prefix, err)
			}
			if ok {
				out = append(out, rec)
			}
		}
		if len(keys) < listPage {
			return out, nil
		}
		lo = "(" + keys[len(keys)-1]
	}
}
