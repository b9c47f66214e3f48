package storetest

import (
	"errors"
	"testing"
	"time"
)

// testClaims: a claim holds until its ttl passes, then can be taken again;
// keys are independent.
func testClaims(t *testing.T, open Opener) {
	s, _ := open(t)
	ctx := t.Context()
	const ttl = 150 * time.Millisecond
	steps := []struct {
		name  string
		key   string
		sleep time.Duration // before the claim
		want  bool
	}{
		{"first", "interaction/1", 0, true},
		{"again", "interaction/1", 0, false},
		{"other key", "interaction/2", 0, true},
		{"after ttl", "interaction/1", ttl + 100*time.Millisecond, true},
		{"again after re-claim", "interaction/1", 0, false},
	}
	for _, st := range steps {
		time.Sleep(st.sleep)
		got, err := s.Claim(ctx, st.key, ttl)
		wantErr(t, st.name, err, nil)
		if got != st.want {
			t.Fatalf("%s: claim %s = %v, want %v", st.name, st.key, got, st.want)
		}
	}
}

// errLost marks a goroutine that lost a claim race.
var errLost = errors.New("claim lost")

// testClaimRace: 500 goroutines claim one key; exactly one gets it. The ttl
// is long so that no slow goroutine arrives after expiry.
func testClaimRace(t *testing.T, open Opener) {
	s, _ := open(t)
	ctx := t.Context()
	errs := race(500, func(int) error {
		ok, err := s.Claim(ctx, "interaction/race", time.Minute)
		if err == nil && !ok {
			return errLost
		}
		return err
	})
	oneWinner(t, "claim", errs, errLost)
}
