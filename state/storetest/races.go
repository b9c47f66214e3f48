package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/patchgate/patchgate/state"
)

// race runs fn on n goroutines released at the same moment and returns each
// one's error, so a test can count winners and losers.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return errs
}

// oneWinner fails unless exactly one error is nil and every other one is
// loser; it returns the winner's index.
func oneWinner(t *testing.T, what string, errs []error, loser error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("%s: both goroutine %d and %d won", what, winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, loser):
			t.Fatalf("%s: goroutine %d: got %v, want %v", what, i, err, loser)
		}
	}
	if winner < 0 {
		t.Fatalf("%s: nobody won", what)
	}
	return winner
}

// testCreateRace: 64 goroutines create one key; one succeeds.
func testCreateRace(t *testing.T, open Opener) {
	s, _ := open(t)
	ctx := t.Context()
	errs := race(64, func(i int) error {
		_, err := s.Create(ctx, "race/create", fmt.Appendf(nil, "g%d", i))
		return err
	})
	w := oneWinner(t, "create", errs, state.ErrConflict)
	r, err := s.Get(ctx, "race/create")
	wantErr(t, "get", err, nil)
	if string(r.Value) != fmt.Sprintf("g%d", w) || r.Version != 1 {
		t.Fatalf("stored %q version %d, want the winner's g%d at 1", r.Value, r.Version, w)
	}
}

// testUpdateRace: round after round, 64 goroutines update one record from the
// same version; exactly one wins each round and its value is what is stored.
func testUpdateRace(t *testing.T, open Opener) {
	s, _ := open(t)
	ctx := t.Context()
	const key, goroutines, rounds = "race/update", 64, 5
	rec, err := s.Create(ctx, key, []byte("start"))
	wantErr(t, "create", err, nil)
	for round := range rounds {
		version := rec.Version
		errs := race(goroutines, func(i int) error {
			_, err := s.Update(ctx, key, fmt.Appendf(nil, "r%d-g%d", round, i), version)
			return err
		})
		w := oneWinner(t, fmt.Sprintf("round %d", round), errs, state.ErrConflict)
		rec, err = s.Get(ctx, key)
		wantErr(t, "get", err, nil)
		if want := fmt.Sprintf("r%d-g%d", round, w); string(rec.Value) != want || rec.Version != version+1 {
			t.Fatalf("round %d: stored %q version %d, want %q version %d", round, rec.Value, rec.Version, want, version+1)
		}
	}
}

// testDeleteRace: 64 goroutines delete one record at its version; one
// succeeds and the rest find it gone.
func testDeleteRace(t *testing.T, open Opener) {
	s, _ := open(t)
	ctx := t.Context()
	rec, err := s.Create(ctx, "race/delete", []byte("x"))
	wantErr(t, "create", err, nil)
	errs := race(64, func(int) error { return s.Delete(ctx, rec.Key, rec.Version) })
	oneWinner(t, "delete", errs, state.ErrNotFound)
}
