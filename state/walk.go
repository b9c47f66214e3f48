package state

import "fmt"

// ChainWalk verifies a stream chunk by chunk, carrying the link from one
// chunk to the next, so a backend can walk a million-entry log in bounded
// memory and report exactly like every other backend.
type ChainWalk struct {
	V    Verification
	prev *Entry
}

// NewChainWalk starts a walk of stream.
func NewChainWalk(stream string) *ChainWalk { return &ChainWalk{V: Verification{Stream: stream}} }

// Add checks the next chunk and reports whether the chain broke in it (then
// V holds the break and the walk is over).
func (w *ChainWalk) Add(chunk []Entry) (broken bool) {
	checked, brokenAt, problem := VerifyEntries(w.V.Stream, w.prev, chunk)
	w.V.Checked += checked
	if brokenAt != 0 {
		w.V.BrokenAt, w.V.Problem = brokenAt, problem
		return true
	}
	if len(chunk) > 0 {
		w.prev = &chunk[len(chunk)-1]
		w.V.Head = w.prev.Hash
	}
	return false
}

// Next is the sequence the next chunk starts at.
func (w *ChainWalk) Next() int64 {
	if w.prev == nil {
		return 1
	}
	return w.prev.Seq + 1
}

// Finish compares the last entry with the stored head (headSeq 0: none), so
// a dropped tail is caught; a stream with neither is ErrNotFound.
func (w *ChainWalk) Finish(headSeq int64, headHash string) (Verification, error) {
	if headSeq == 0 && w.prev == nil {
		return w.V, fmt.Errorf("verify stream %s: %w", w.V.Stream, ErrNotFound)
	}
	w.V.BrokenAt, w.V.Problem = VerifyHead(w.prev, headSeq, headHash)
	return w.V, nil
}
