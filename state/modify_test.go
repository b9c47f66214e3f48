package state_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/boltstore"
)

type counter struct{ N int }

func openBolt(t *testing.T) state.Store {
	t.Helper()
	st, err := boltstore.Open(t.TempDir() + "/state.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestModifyCountsEveryConcurrentChange: writers racing on one key lose
// compare-and-swaps and retry, and no change is lost.
func TestModifyCountsEveryConcurrentChange(t *testing.T) {
	ctx := context.Background()
	st := openBolt(t)
	const writers, each = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				_, err := state.ModifyJSON(ctx, st, "k", func(c *counter) (*counter, error) {
					if c == nil {
						c = &counter{}
					}
					c.N++
					return c, nil
				})
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	applied := 0
	for err := range errs {
		switch {
		case err == nil:
			applied++
		case !errors.Is(err, state.ErrContended):
			t.Fatal(err)
		}
	}
	got, err := state.ModifyJSON(ctx, st, "k", func(c *counter) (*counter, error) { return c, nil })
	if err != nil || got == nil || got.N != applied || applied == 0 {
		t.Fatalf("counter %+v (%v), want %d: one per applied change", got, err, applied)
	}
}

// conflicting loses every compare-and-swap.
type conflicting struct{ state.Store }

func (c conflicting) Update(context.Context, string, []byte, int64) (state.Record, error) {
	return state.Record{}, state.ErrConflict
}

// TestModifyGivesUpAfterTheNamedLimit: a key that never stops moving ends
// in ErrContended after MaxModifyAttempts reads, naming the key.
func TestModifyGivesUpAfterTheNamedLimit(t *testing.T) {
	ctx := context.Background()
	st := openBolt(t)
	if _, err := st.Create(ctx, "k", []byte(`{"N":1}`)); err != nil {
		t.Fatal(err)
	}
	calls := 0
	_, err := state.Modify(ctx, conflicting{st}, "k", func(b []byte, _ bool) ([]byte, error) { calls++; return b, nil })
	if !errors.Is(err, state.ErrContended) || calls != state.MaxModifyAttempts {
		t.Fatalf("err %v after %d changes, want ErrContended after %d", err, calls, state.MaxModifyAttempts)
	}
}

// TestModifyReportsWhatItCannotDecode: a stored value that is not the
// expected JSON is an error, and nothing is written over it.
func TestModifyReportsWhatItCannotDecode(t *testing.T) {
	ctx := context.Background()
	st := openBolt(t)
	if _, err := st.Create(ctx, "k", []byte(`not json`)); err != nil {
		t.Fatal(err)
	}
	_, err := state.ModifyJSON(ctx, st, "k", func(c *counter) (*counter, error) { return &counter{N: 9}, nil })
	if err == nil {
		t.Fatal("no error for an undecodable record")
	}
	if r, _ := st.Get(ctx, "k"); string(r.Value) != "not json" {
		t.Fatalf("record overwritten: %q", r.Value)
	}
	want := errors.New("refused")
	if _, err := state.ModifyJSON(ctx, st, "absent", func(*counter) (*counter, error) { return nil, want }); !errors.Is(err, want) {
		t.Fatalf("change's error %v, want %v", err, want)
	}
}
