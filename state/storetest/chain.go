package storetest

import (
	"fmt"
	"sync"
	"testing"
)

// testConcurrentChain: 8 writers append 1,250 entries each to one stream.
// Every append must succeed, the sequences must run 1..10,000 without gaps,
// every write must appear exactly once, and the chain must verify.
func testConcurrentChain(t *testing.T, open Opener) {
	s, _ := open(t)
	ctx := t.Context()
	const stream, writers, each = "audit/chain", 8, 1250
	const total = writers * each

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if _, err := s.Append(ctx, stream, fmt.Appendf(nil, "w%d-%d", w, i)); err != nil {
					errs <- fmt.Errorf("writer %d append %d: %w", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	entries, err := s.Read(ctx, stream, 1, 0)
	wantErr(t, "read", err, nil)
	if len(entries) != total {
		t.Fatalf("read %d entries, want %d", len(entries), total)
	}
	seen := make(map[string]bool, total)
	for i, e := range entries {
		if e.Seq != int64(i+1) {
			t.Fatalf("entry %d has sequence %d", i+1, e.Seq)
		}
		if seen[string(e.Data)] {
			t.Fatalf("%s appended twice", e.Data)
		}
		seen[string(e.Data)] = true
	}
	v, err := s.Verify(ctx, stream)
	wantErr(t, "verify", err, nil)
	if !v.OK() || v.Checked != total || v.Head != entries[total-1].Hash {
		t.Fatalf("verify after %d concurrent appends: %+v", total, v)
	}
}
