package runbooks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/patchgate/patchgate/state"
)

// inventoryWhere returns the hosts of cycle id's inventory that keep
// accepts (all of them for a nil keep). The inventory is decoded host by
// host from its chunks as they are read, so at 20,000 hosts neither the
// ~10 MB of JSON nor the hosts keep turns away are held at once: a stage
// reading its third of the inventory holds that third. The blob's digest
// and size are still checked over every byte before any host is returned.
func (e *Engine) inventoryWhere(ctx context.Context, id string, keep func(*Host) bool) ([]Host, error) {
	r, err := e.deps.Store.Get(ctx, inventoryKey(id))
	if errors.Is(err, state.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, storeErr("read inventory of "+id, err)
	}
	if isJSONArray(r.Value) { // format 1: the hosts themselves
		hosts, err := decodeHosts(bytes.NewReader(r.Value), 0, keep)
		if err != nil {
			return nil, fmt.Errorf("decode inventory of %s: %w", id, err)
		}
		return hosts, nil
	}
	var m inventoryRecord
	if err := json.Unmarshal(r.Value, &m); err != nil {
		return nil, fmt.Errorf("decode inventory record of %s: %w", id, err)
	}
	br := &blobReader{ctx: ctx, st: e.deps.Store, ref: m.Blob, sum: sha256.New()}
	hosts, err := decodeHosts(br, m.Hosts, keep)
	if err != nil && br.err == nil {
		// A blob that does not decode is most likely not the one written:
		// say so when its digest agrees.
		if _, cerr := io.Copy(io.Discard, br); cerr == nil {
			if verr := br.verify(); verr != nil {
				err = verr
			}
		}
	} else if err == nil {
		err = br.verify()
	}
	if br.err != nil { // the store failed under the decoder
		return nil, fmt.Errorf("read inventory of %s: %w", id, br.err)
	}
	if err != nil {
		return nil, fmt.Errorf("decode inventory of %s: %w", id, err)
	}
	return hosts, nil
}

// decodeHosts decodes a JSON array of hosts (or null) one host at a time
// (decodeList), keeping those keep accepts, each host's repeated strings
// shared.
func decodeHosts(r io.Reader, size int, keep func(*Host) bool) ([]Host, error) {
	in := interner{}
	if keep != nil {
		size = 0 // how many are kept is not known
	}
	hosts, err := decodeList(r, size, func(h *Host) bool {
		if keep != nil && !keep(h) {
			return false
		}
		in.host(h)
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	return hosts, nil
}

// blobReader reads a blob chunk by chunk, one chunk in memory at a time,
// hashing what it reads so verify can check the digest at the end.
type blobReader struct {
	ctx  context.Context
	st   state.Store
	ref  BlobRef
	next int    // the next chunk to read
	buf  []byte // what is left of the chunk read last
	n    int    // bytes read so far
	sum  hash.Hash
	err  error // the store's failure, kept apart from decoding errors
}

func (b *blobReader) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		if b.next >= b.ref.chunks() {
			return 0, io.EOF
		}
		r, err := b.st.Get(b.ctx, b.ref.key(b.next))
		if err != nil {
			b.err = fmt.Errorf("read blob %s chunk %d of %d: %w", b.ref.SHA256[:min(12, len(b.ref.SHA256))], b.next+1, b.ref.chunks(), err)
			return 0, b.err
		}
		b.next++
		b.buf = r.Value
		b.sum.Write(r.Value)
		b.n += len(r.Value)
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

// verify checks the bytes read against the blob's digest and size; the
// reader must have been read to its end.
func (b *blobReader) verify() error {
	if hex.EncodeToString(b.sum.Sum(nil)) != b.ref.SHA256 || b.n != b.ref.Size {
		return fmt.Errorf("blob %s: %d bytes read do not match their digest", b.ref.SHA256[:min(12, len(b.ref.SHA256))], b.n)
	}
	return nil
}

// putHosts stores hosts as a blob of owner, encoded host by host straight
// into its chunks: the bytes are json.Marshal(hosts)'s, so the digest is
// the one a whole-slice encoding gives, but neither that ~10 MB encoding
// (at 20,000 hosts) nor its growth and copy are ever made.
func putHosts(ctx context.Context, st state.Store, owner string, hosts []Host) (BlobRef, error) {
	w, err := encodeList(hosts)
	if err != nil {
		return BlobRef{}, err
	}
	ref := w.ref(owner)
	return ref, putChunks(ctx, st, ref, func(i int) []byte { return w.chunks[i] })
}

// chunkWriter collects bytes in blobChunk-sized chunks, hashing them.
type chunkWriter struct {
	chunks [][]byte
	n      int
	sum    hash.Hash
}

func (w *chunkWriter) Write(p []byte) {
	w.sum.Write(p)
	w.n += len(p)
	for len(p) > 0 {
		if len(w.chunks) == 0 || len(w.chunks[len(w.chunks)-1]) == blobChunk {
			w.chunks = append(w.chunks, make([]byte, 0, blobChunk))
		}
		last := &w.chunks[len(w.chunks)-1]
		k := min(len(p), blobChunk-len(*last))
		*last = append(*last, p[:k]...)
		p = p[k:]
	}
}

// interner shares the strings hosts repeat (account, region, environment,
// platform, agent status, …) among the hosts of one inventory: decoded, each
// host would hold its own copy of each, several megabytes at 20,000 hosts
// held as long as the inventory is (the report holds two).
type interner map[string]string

func (in interner) str(p *string) {
	if *p == "" {
		return
	}
	if s, ok := in[*p]; ok {
		*p = s
		return
	}
	if len(in) < 4096 { // the values repeated are few; IDs and names are not kept
		in[*p] = *p
	}
}

func (in interner) host(h *Host) {
	cloud := string(h.Cloud)
	in.str(&cloud)
	h.Cloud = Cloud(cloud)
	for _, p := range []*string{&h.Account, &h.Region, &h.Env, &h.OS, &h.OSVersion, &h.Kernel, &h.AgentStatus,
		&h.SensorVersion, &h.SensorSource, &h.PendingKernel, &h.Source} {
		in.str(p)
	}
}
