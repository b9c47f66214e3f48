package runbooks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/patchgate/patchgate/state"
)

// Large payloads (operation handles, inventories) live outside the cycle
// record, which every busy tick decodes and every progress write rewrites.
// They are stored as content-addressed blobs: chunks of at most blobChunk
// bytes under blobs/<cycle>/<sha256>/<n> (format 3; format 2 wrote
// blobs/<sha256>/<n>, shared by every cycle), written once with Create, so a
// retried write is a no-op and no store value comes near Redis' and bbolt's
// comfortable value sizes (a 1 MB bound). A record refers to a blob by its
// digest and size; the digest is what audit events carry, so the chain
// vouches for the payload without holding it. The cycle in the key is what
// lets an archived cycle's blobs be deleted without touching another's.

// blobChunk is the most bytes one store value of a blob holds.
const blobChunk = 512 << 10

// BlobRef names a stored blob by the SHA-256 of its bytes and its size.
type BlobRef struct {
	SHA256 string `json:"sha256"`
	Size   int    `json:"size"`
	// Owner is the cycle whose key space holds the blob; empty for the
	// shared key space of format 2.
	Owner string `json:"owner,omitempty"`
}

// IsZero reports whether the reference names no blob.
func (r BlobRef) IsZero() bool { return r.SHA256 == "" }

// Key is the store key of the blob's first chunk, for audit events and
// people looking at the store.
func (r BlobRef) Key() string { return r.key(0) }

func (r BlobRef) chunks() int { return max(1, (r.Size+blobChunk-1)/blobChunk) }

func (r BlobRef) key(i int) string {
	if r.Owner == "" {
		return fmt.Sprintf("blobs/%s/%04d", r.SHA256, i)
	}
	return fmt.Sprintf("%s%s/%04d", blobPrefix(r.Owner), r.SHA256, i)
}

// blobPrefix is where the blobs of cycle id live.
func blobPrefix(id string) string { return "blobs/" + id + "/" }

// blobOf is the reference data gets when owner stores it.
func blobOf(owner string, data []byte) BlobRef {
	sum := sha256.Sum256(data)
	return BlobRef{SHA256: hex.EncodeToString(sum[:]), Size: len(data), Owner: owner}
}

// putBlob stores data as a blob of owner ("" for the shared key space of
// format 2) and returns its reference.
func putBlob(ctx context.Context, st state.Store, owner string, data []byte) (BlobRef, error) {
	ref := blobOf(owner, data)
	return ref, putChunks(ctx, st, ref, func(i int) []byte { return data[i*blobChunk : min(len(data), (i+1)*blobChunk)] })
}

// putChunks writes ref's chunks, chunk(i) being the i-th.
func putChunks(ctx context.Context, st state.Store, ref BlobRef, chunk func(i int) []byte) error {
	for i := range ref.chunks() {
		// Same key, same bytes: a chunk already there is this chunk.
		if _, err := st.Create(ctx, ref.key(i), chunk(i)); err != nil && !errors.Is(err, state.ErrConflict) {
			return fmt.Errorf("store blob %s chunk %d of %d: %w", ref.SHA256[:12], i+1, ref.chunks(), err)
		}
	}
	return nil
}

// getBlob reads a blob back and checks it against its digest.
func getBlob(ctx context.Context, st state.Store, ref BlobRef) ([]byte, error) {
	data := make([]byte, 0, ref.Size)
	for i := range ref.chunks() {
		r, err := st.Get(ctx, ref.key(i))
		if err != nil {
			return nil, fmt.Errorf("read blob %s chunk %d of %d: %w", ref.SHA256[:12], i+1, ref.chunks(), err)
		}
		data = append(data, r.Value...)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != ref.SHA256 || len(data) != ref.Size {
		return nil, fmt.Errorf("blob %s: %d bytes read do not match their digest", ref.SHA256[:12], len(data))
	}
	return data, nil
}

// blobOwner is the key space a blob of cycle id is written to: the cycle's
// own from format 3, the shared one before (which a format-2 release reads).
func (e *Engine) blobOwner(id string) string {
	if e.cfg.WriteFormat >= 3 {
		return id
	}
	return ""
}
