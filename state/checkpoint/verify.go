package checkpoint

import (
	"context"
	"errors"
	"fmt"

	"github.com/patchgate/patchgate/state"
)

// Finding is one thing a check found. Unchecked findings say a check could
// not be made (an unknown key, an unreadable object); the others are
// evidence that something was changed.
type Finding struct {
	Stream    string
	Seq       int64 // the entry concerned; for anchor findings the anchored seq
	Problem   string
	Unchecked bool
}

func (f Finding) String() string {
	if f.Seq > 0 {
		return fmt.Sprintf("%s at seq %d: %s", f.Stream, f.Seq, f.Problem)
	}
	return f.Stream + ": " + f.Problem
}

// Chain is one stream's checkpoints as read back from the anchor.
type Chain struct {
	Stream string
	Count  int
	// Latest is the newest checkpoint whose signature and link verified.
	Latest *Checkpoint
}

// VerifyAnchor reads every checkpoint in a, checks each signature with keys
// and each link to the checkpoint before it, and returns the verified chain
// of every anchored stream. An error means the anchor could not be read.
func VerifyAnchor(ctx context.Context, a Anchor, keys *Keyring) (map[string]*Chain, []Finding, error) {
	names, err := a.List(ctx, namePrefix)
	if err != nil {
		return nil, nil, fmt.Errorf("list checkpoints at %s: %w", a, err)
	}
	byStream := map[string][]string{}
	var order []string
	for _, name := range names {
		if stream, _, ok := parseName(name); ok {
			if byStream[stream] == nil {
				order = append(order, stream)
			}
			byStream[stream] = append(byStream[stream], name)
		}
	}
	chains := map[string]*Chain{}
	var findings []Finding
	for _, stream := range order {
		ch := &Chain{Stream: stream}
		chains[stream] = ch
		var prev *Checkpoint // the previous checkpoint of the stream, as read
		for _, name := range byStream[stream] {
			_, n, _ := parseName(name)
			ch.Count++
			b, err := a.Get(ctx, name)
			if err != nil {
				return nil, nil, fmt.Errorf("read checkpoint %s: %w", name, err)
			}
			cp, err := Decode(b)
			if err != nil {
				findings = append(findings, Finding{Stream: stream, Problem: fmt.Sprintf("checkpoint %d: %v", n, err)})
				prev = nil
				continue
			}
			f := checkOne(keys, stream, n, &cp, prev)
			prev = &cp
			if f != nil {
				findings = append(findings, *f)
				continue
			}
			ch.Latest = &cp
		}
	}
	return chains, findings, nil
}

// checkOne checks checkpoint n of stream against its name, its signature
// and the checkpoint before it (nil when it is the first read).
func checkOne(keys *Keyring, stream string, n int64, cp, prev *Checkpoint) *Finding {
	bad := func(format string, args ...any) *Finding {
		return &Finding{Stream: stream, Seq: cp.Seq, Problem: fmt.Sprintf("checkpoint %d: ", n) + fmt.Sprintf(format, args...)}
	}
	switch {
	case cp.Stream != stream || cp.Number != n:
		return bad("names stream %s number %d but is anchored as %s number %d", cp.Stream, cp.Number, stream, n)
	case prev == nil && n != 1:
		return bad("checkpoints 1 to %d are missing from the anchor", n-1)
	case prev != nil && prev.Number != n-1:
		return bad("checkpoints %d to %d are missing from the anchor", prev.Number+1, n-1)
	case prev != nil && cp.Prev != prev.Digest():
		return bad("does not chain to checkpoint %d (prev digest %s, checkpoint %d has %s)",
			n-1, short(cp.Prev), n-1, short(prev.Digest()))
	case prev != nil && cp.Seq < prev.Seq:
		return bad("seq %d is below checkpoint %d's seq %d", cp.Seq, n-1, prev.Seq)
	}
	if err := keys.Verify(*cp); err != nil {
		f := bad("%v", err)
		f.Unchecked = errors.Is(err, ErrUnknownKey)
		return f
	}
	return nil
}

// CheckStore compares a stream's latest anchored checkpoint with what the
// store holds now: the entry at the anchored seq must still exist with the
// anchored hash. A chain that passes its own walk yet fails here was
// truncated, deleted, or rewritten with every hash recomputed.
func CheckStore(ctx context.Context, st state.Store, cp *Checkpoint) (*Finding, error) {
	what := func(format string, args ...any) *Finding {
		return &Finding{Stream: cp.Stream, Seq: cp.Seq, Problem: fmt.Sprintf("anchored checkpoint %d (%s) has hash %s; ",
			cp.Number, cp.Time.Format("2006-01-02T15:04:05Z"), short(cp.Head)) + fmt.Sprintf(format, args...)}
	}
	got, err := st.Read(ctx, cp.Stream, cp.Seq, 1)
	if err != nil {
		return nil, fmt.Errorf("read %s at %d: %w", cp.Stream, cp.Seq, err)
	}
	if len(got) == 1 && got[0].Seq == cp.Seq {
		if got[0].Hash == cp.Head {
			return nil, nil
		}
		return what("the store's entry %d has hash %s (history rewritten)", cp.Seq, short(got[0].Hash)), nil
	}
	head, err := st.Head(ctx, cp.Stream)
	switch {
	case errors.Is(err, state.ErrNotFound):
		return what("the store has no such stream (deleted)"), nil
	case err != nil:
		return nil, fmt.Errorf("read head of %s: %w", cp.Stream, err)
	}
	return what("the store's stream ends at seq %d (truncated)", head.Seq), nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
