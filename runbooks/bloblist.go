package runbooks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/patchgate/patchgate/state"
)

// A list kept in a blob (a remediation's instances) is the JSON array
// json.Marshal gives, encoded item by item straight into its chunks and
// decoded item by item from them, so neither side holds the whole encoding
// at once; the digest is checked over every byte read.

// encodeList encodes items as a JSON array into blob chunks.
func encodeList[T any](items []T) (*chunkWriter, error) {
	w := &chunkWriter{sum: sha256.New()}
	if items == nil {
		w.Write([]byte("null"))
		return w, nil
	}
	w.Write([]byte{'['})
	for i := range items {
		if i > 0 {
			w.Write([]byte{','})
		}
		b, err := json.Marshal(&items[i])
		if err != nil {
			return nil, err
		}
		w.Write(b)
	}
	w.Write([]byte{']'})
	return w, nil
}

// ref is the reference the encoded bytes get as a blob of owner.
func (w *chunkWriter) ref(owner string) BlobRef {
	return BlobRef{SHA256: hex.EncodeToString(w.sum.Sum(nil)), Size: w.n, Owner: owner}
}

// getList reads a blob holding a JSON array of T; size, when known, is how
// many items it holds. A chunk missing from the store is an error wrapping
// state.ErrNotFound.
func getList[T any](ctx context.Context, st state.Store, ref BlobRef, size int) ([]T, error) {
	br := &blobReader{ctx: ctx, st: st, ref: ref, sum: sha256.New()}
	items, err := decodeList[T](br, size, nil)
	if br.err != nil {
		return nil, br.err
	}
	if err != nil {
		return nil, fmt.Errorf("decode blob %s: %w", ref.SHA256[:min(12, len(ref.SHA256))], err)
	}
	if err := br.verify(); err != nil {
		return nil, err
	}
	return items, nil
}

// decodeList decodes a JSON array (or null) one item at a time, keeping
// those keep accepts (every one when keep is nil; keep may change the item
// it is shown), and reads r to its end: anything but white space after the
// array is an error, as it is to json.Unmarshal. size, when known, is how
// many items will be kept (0 when not known).
func decodeList[T any](r io.Reader, size int, keep func(*T) bool) ([]T, error) {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	var items []T
	switch tok {
	case nil: // null: no items
	case json.Delim('['):
		if size > 0 {
			items = make([]T, 0, size)
		}
		for dec.More() {
			var it T
			if err := dec.Decode(&it); err != nil {
				return nil, err
			}
			if keep == nil || keep(&it) {
				items = append(items, it)
			}
		}
		if _, err := dec.Token(); err != nil { // the closing ]
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%v where a list was expected", tok)
	}
	rest, err := io.ReadAll(io.MultiReader(dec.Buffered(), r))
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New("data after the list")
	}
	return items, nil
}

// deleteBlob deletes ref's chunks (each written once, so at version 1); a
// chunk already gone is no error.
func deleteBlob(ctx context.Context, st state.Store, ref BlobRef) error {
	for i := range ref.chunks() {
		if err := st.Delete(ctx, ref.key(i), 1); err != nil && !errors.Is(err, state.ErrNotFound) {
			return fmt.Errorf("delete blob %s chunk %d of %d: %w", ref.SHA256[:min(12, len(ref.SHA256))], i+1, ref.chunks(), err)
		}
	}
	return nil
}
