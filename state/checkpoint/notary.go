package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Notary signs stream heads and anchors the checkpoints. It is safe for
// concurrent use; several replicas may share one anchor, since a checkpoint
// number can be written once only.
type Notary struct {
	Signer Signer
	Anchor Anchor
	// Every and Interval bound how much of a stream can be unanchored: a
	// non-final checkpoint is due once Every entries (default 100) or
	// Interval (default 15m, counted from when this process first saw the
	// stream unanchored) have gone by.
	Every    int64
	Interval time.Duration
	Now      func() time.Time

	mu      sync.Mutex
	last    map[string]*Checkpoint // the latest anchored checkpoint per stream
	pending map[string]time.Time   // when this process first saw new entries
	fp      string
}

// Fingerprint is the signing key's fingerprint.
func (n *Notary) Fingerprint() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fp == "" {
		n.fp, _ = Fingerprint(n.Signer.Public())
	}
	return n.fp
}

func (n *Notary) now() time.Time {
	if n.Now != nil {
		return n.Now().UTC()
	}
	return time.Now().UTC()
}

// Checkpoint signs stream's entry seq (hash head) and anchors it when final
// is set or a checkpoint is due. It returns the encoded checkpoint that
// covers seq (nil when none was due), reusing an anchored one for the same
// seq and head rather than signing twice.
func (n *Notary) Checkpoint(ctx context.Context, stream string, seq int64, head string, final bool) ([]byte, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	last, err := n.latest(ctx, stream)
	if err != nil {
		return nil, err
	}
	if last != nil && last.Seq == seq && last.Head == head {
		return last.Encode()
	}
	if !final && !n.due(stream, last, seq) {
		return nil, nil
	}
	for range 5 {
		cp, err := n.sign(ctx, stream, last, seq, head)
		if err != nil {
			return nil, err
		}
		b, err := cp.Encode()
		if err != nil {
			return nil, err
		}
		err = n.Anchor.Put(ctx, Name(stream, cp.Number), b)
		if err == nil {
			n.last[stream] = &cp
			delete(n.pending, stream)
			return b, nil
		}
		if !errors.Is(err, ErrExists) {
			return nil, fmt.Errorf("anchor checkpoint %d of %s at %s: %w", cp.Number, stream, n.Anchor, err)
		}
		// Another replica anchored this number first: chain to its checkpoint.
		delete(n.last, stream)
		if last, err = n.latest(ctx, stream); err != nil {
			return nil, err
		}
		if last != nil && last.Seq == seq && last.Head == head {
			return last.Encode()
		}
	}
	return nil, fmt.Errorf("anchor checkpoint of %s at %s: other writers kept taking the next number", stream, n.Anchor)
}

// due applies Every and Interval.
func (n *Notary) due(stream string, last *Checkpoint, seq int64) bool {
	from := int64(0)
	if last != nil {
		from = last.Seq
	}
	if seq <= from {
		return false
	}
	every := n.Every
	if every <= 0 {
		every = 100
	}
	if seq-from >= every {
		return true
	}
	interval := n.Interval
	if interval <= 0 {
		interval = 15 * time.Minute
	}
	if n.pending == nil {
		n.pending = map[string]time.Time{}
	}
	first, ok := n.pending[stream]
	if !ok {
		n.pending[stream] = n.now()
		return false
	}
	return n.now().Sub(first) >= interval
}

// sign makes the checkpoint that follows last.
func (n *Notary) sign(ctx context.Context, stream string, last *Checkpoint, seq int64, head string) (Checkpoint, error) {
	if n.fp == "" {
		var err error
		if n.fp, err = Fingerprint(n.Signer.Public()); err != nil {
			return Checkpoint{}, err
		}
	}
	cp := Checkpoint{Format: Format, Stream: stream, Number: 1, Seq: seq, Head: head, Time: n.now(),
		KeyID: n.Signer.KeyID(), Fingerprint: n.fp, Alg: n.Signer.Algorithm()}
	if last != nil {
		cp.Number, cp.Prev = last.Number+1, last.Digest()
	}
	sig, err := n.Signer.Sign(ctx, cp.SignedText())
	if err != nil {
		return Checkpoint{}, fmt.Errorf("sign checkpoint %d of %s with key %s: %w", cp.Number, stream, cp.KeyID, err)
	}
	cp.Sig = sig
	return cp, nil
}

// latest returns the stream's newest anchored checkpoint (nil if none),
// from memory or the anchor.
func (n *Notary) latest(ctx context.Context, stream string) (*Checkpoint, error) {
	if n.last == nil {
		n.last = map[string]*Checkpoint{}
	}
	if c, ok := n.last[stream]; ok {
		return c, nil
	}
	c, err := Latest(ctx, n.Anchor, stream)
	if err != nil {
		return nil, err
	}
	n.last[stream] = c
	return c, nil
}

// Seal signs a document (a report manifest) with the checkpoint key.
func (n *Notary) Seal(ctx context.Context, doc []byte) ([]byte, error) {
	return SealDocument(ctx, n.Signer, doc)
}

// Latest reads the newest checkpoint of stream from a (nil if none).
func Latest(ctx context.Context, a Anchor, stream string) (*Checkpoint, error) {
	names, err := a.List(ctx, namePrefix+stream+"/")
	if err != nil {
		return nil, fmt.Errorf("list checkpoints of %s at %s: %w", stream, a, err)
	}
	for i := len(names) - 1; i >= 0; i-- {
		s, _, ok := parseName(names[i])
		if !ok || s != stream {
			continue
		}
		b, err := a.Get(ctx, names[i])
		if err != nil {
			return nil, fmt.Errorf("read checkpoint %s: %w", names[i], err)
		}
		c, err := Decode(b)
		if err != nil {
			return nil, fmt.Errorf("read checkpoint %s: %w", names[i], err)
		}
		return &c, nil
	}
	return nil, nil
}
