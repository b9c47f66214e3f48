package runbooks

import (
	"context"
	"encoding/json"
	"fmt"
)

// Per-host results (a gate's findings, a failure's hosts, a stage's
// exclusions) grow with the estate: a sensor gate that excludes a whole
// environment names thousands of hosts. From record format 3 a list larger
// than inlineResultsMax is kept in a blob of the cycle and the record holds
// its reference and count, so the record a tick decodes stays small.
// Readers of one cycle (Get, the step loop, Decide) see the lists whole;
// listings (the tick's, posture, audit) see the references only.

// inlineResultsMax is the most encoded bytes of a result list kept inline.
const inlineResultsMax = 4 << 10

// ResultsRef names a list of per-host results kept in a blob.
type ResultsRef struct {
	BlobRef
	Count int `json:"count"`
}

// resultLists visits every per-host result list of c: its inline findings
// and the reference they are kept under.
func (c *Cycle) resultLists(visit func(fs *[]Finding, ref **ResultsRef) error) error {
	for i := range c.Stages {
		s := &c.Stages[i]
		for j := range s.Gates {
			if err := visit(&s.Gates[j].Findings, &s.Gates[j].FindingsBlob); err != nil {
				return err
			}
		}
		if s.Failure != nil {
			if err := visit(&s.Failure.Findings, &s.Failure.FindingsBlob); err != nil {
				return err
			}
		}
		if err := visit(&s.Exclusions, &s.ExclusionsBlob); err != nil {
			return err
		}
	}
	return nil
}

// loadResults reads every result list c keeps in a blob. The reference
// stays beside the list, so writing the list back unchanged writes nothing.
func (e *Engine) loadResults(ctx context.Context, c *Cycle) error {
	return c.resultLists(func(fs *[]Finding, ref **ResultsRef) error { return e.loadResultList(ctx, c.ID, fs, *ref) })
}

// loadResultList reads one list kept in a blob unless it is read already.
func (e *Engine) loadResultList(ctx context.Context, owner string, fs *[]Finding, ref *ResultsRef) error {
	if ref == nil || len(*fs) == ref.Count {
		return nil
	}
	b, err := getBlob(ctx, e.deps.Store, ref.BlobRef)
	if err != nil {
		return fmt.Errorf("read per-host results of %s: %w", owner, err)
	}
	if err := json.Unmarshal(b, fs); err != nil {
		return fmt.Errorf("decode per-host results of %s (blob %s): %w", owner, ref.SHA256[:12], err)
	}
	return nil
}

// storeResults returns a copy of c whose large result lists are replaced
// by references to blobs, writing the blobs not yet stored. c is left as
// it is: the caller goes on using the whole lists.
func (e *Engine) storeResults(ctx context.Context, c *Cycle) (*Cycle, error) {
	if e.cfg.WriteFormat < 3 {
		return c, nil
	}
	out := *c
	out.Stages = make([]Stage, len(c.Stages))
	for i, s := range c.Stages {
		s.Gates = append([]Gate(nil), s.Gates...)
		if s.Failure != nil {
			f := *s.Failure
			s.Failure = &f
		}
		out.Stages[i] = s
	}
	wctx, cancel := e.recordContext(ctx)
	defer cancel()
	err := out.resultLists(func(fs *[]Finding, ref **ResultsRef) error { return e.storeResultList(wctx, c.ID, fs, ref) })
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// storeResultList moves one list larger than inlineResultsMax into a blob
// of owner (written unless its reference already names it) and leaves the
// reference and count in its place.
func (e *Engine) storeResultList(ctx context.Context, owner string, fs *[]Finding, ref **ResultsRef) error {
	if len(*fs) == 0 {
		return nil // lists only grow: an empty one with a reference was not read
	}
	data, err := json.Marshal(*fs)
	if err != nil {
		return fmt.Errorf("encode per-host results of %s: %w", owner, err)
	}
	if len(data) <= inlineResultsMax {
		*ref = nil
		return nil
	}
	blob := blobOf(owner, data)
	if *ref == nil || (*ref).BlobRef != blob {
		if blob, err = putBlob(ctx, e.deps.Store, owner, data); err != nil {
			return fmt.Errorf("store per-host results of %s: %w", owner, err)
		}
	}
	*ref, *fs = &ResultsRef{BlobRef: blob, Count: len(*fs)}, nil
	return nil
}
