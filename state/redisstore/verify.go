package redisstore

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/patchgate/patchgate/state"
)

// verifyChunk is how many entries Verify fetches per round trip, so memory
// stays flat for a million-entry audit log.
const verifyChunk = 1000

// Verify re-walks stream chunk by chunk (LRANGE), recomputing every hash and
// link, then checks the stored head against the last entry. Each chunk is
// fetched together with the head in one MULTI, so the final, short chunk and
// the head are one snapshot and agree unless someone tampered with them.
func (s *Store) Verify(ctx context.Context, stream string) (state.Verification, error) {
	w := state.NewChainWalk(stream)
	if err := s.check(); err != nil {
		return w.V, fmt.Errorf("verify stream %s: %w", stream, err)
	}
	for {
		start := w.Next() - 1 // list index of the next entry
		var rng *redis.StringSliceCmd
		var hd *redis.SliceCmd
		_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			rng = p.LRange(ctx, s.keys.log(stream), start, start+verifyChunk-1)
			hd = p.HMGet(ctx, s.keys.head(stream), "seq", "hash")
			return nil
		})
		if err != nil {
			return w.V, fmt.Errorf("verify stream %s from index %d: %w", stream, start, redisErr(err))
		}
		chunk, err := decodeEntries(rng.Val())
		if err != nil {
			return w.V, fmt.Errorf("verify stream %s from index %d: %w", stream, start, err)
		}
		if w.Add(chunk) {
			return w.V, nil
		}
		if len(chunk) < verifyChunk {
			stored, err := decodeHead(hd.Val())
			if err != nil {
				return w.V, fmt.Errorf("verify stream %s: %w", stream, err)
			}
			return w.Finish(stored.Seq, stored.Hash)
		}
	}
}
