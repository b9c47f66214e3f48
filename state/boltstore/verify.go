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
	v := state.Verification{Stream: stream}
	var prev *state.Entry
	for from := int64(1); ; {
		if err := ctx.Err(); err != nil {
			return v, fmt.Errorf("verify stream %s: %w", stream, err)
		}
		var (
			chunk   []state.Entry
			atEnd   bool
			stored  head
			hasHead bool
		)
		err := s.view(func(tx *bolt.Tx) error {
			var err error
			chunk, atEnd, err = readInTx(tx, stream, from, verifyChunk)
			if err != nil || !atEnd {
				return err
			}
			if raw := tx.Bucket(bucketHeads).Get([]byte(stream)); raw != nil {
				hasHead = true
				stored, err = decodeHead(stream, raw)
			}
			return err
		})
		if err != nil {
			return v, fmt.Errorf("verify stream %s from %d: %w", stream, from, err)
		}
		checked, brokenAt, problem := state.VerifyEntries(stream, prev, chunk)
		v.Checked += checked
		if brokenAt != 0 {
			v.BrokenAt, v.Problem = brokenAt, problem
			return v, nil
		}
		if len(chunk) > 0 {
			prev = &chunk[len(chunk)-1]
			v.Head = prev.Hash
			from = prev.Seq + 1
		}
		if atEnd {
			if !hasHead && prev == nil {
				return v, fmt.Errorf("verify stream %s: %w", stream, state.ErrNotFound)
			}
			v.BrokenAt, v.Problem = state.VerifyHead(prev, stored.Seq, stored.Hash)
			return v, nil
		}
	}
}
