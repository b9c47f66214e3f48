package boltstore

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/patchgate/patchgate/state"
)

// verifyChunk is how many entries Verify decodes per read transaction: memory
// stays flat for a million-entry audit log, and no read transaction lives
// long enough to stall a writer that needs to grow the file.
const verifyChunk = 1024

// Verify re-walks stream in chunks, recomputing every hash and link, and then
// checks the stored head against the last entry. Entries are append-only, so
// chunks read in separate transactions still form one chain; the last chunk
// and the head are read in the same transaction, so they agree unless the
// file was tampered with.
func (s *Store) Verify(ctx context.Context, stream string) (state.Verification, error) {
	w := state.NewChainWalk(stream)
	for {
		if err := ctx.Err(); err != nil {
			return w.V, fmt.Errorf("verify stream %s: %w", stream, err)
		}
		var (
			chunk  []state.Entry
			atEnd  bool
			stored head
		)
		from := w.Next()
		err := s.view(func(tx *bolt.Tx) error {
			var err error
			chunk, atEnd, err = readInTx(tx, stream, from, verifyChunk)
			if err != nil || !atEnd {
				return err
			}
			if raw := tx.Bucket(bucketHeads).Get([]byte(stream)); raw != nil {
				stored, err = decodeHead(stream, raw)
			}
			return err
		})
		if err != nil {
			return w.V, fmt.Errorf("verify stream %s from %d: %w", stream, from, err)
		}
		if w.Add(chunk) {
			return w.V, nil
		}
		if atEnd {
			return w.Finish(stored.Seq, stored.Hash)
		}
	}
}
