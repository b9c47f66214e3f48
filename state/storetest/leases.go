package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/patchgate/patchgate/state"
)

// testLeases walks a lease through acquire, refusal, extension, expiry and
// take-over, and checks that the stale holder's token is refused everywhere.
func testLeases(t *testing.T, open Opener) {
	s, _ := open(t)
	ctx := t.Context()
	const key, short = "cycle/42", 200 * time.Millisecond

	a, err := s.AcquireLease(ctx, key, "replica-a", short)
	wantErr(t, "a acquires", err, nil)
	if a.Key != key || a.Holder != "replica-a" || a.Token <= 0 || !a.Expires.After(time.Now()) {
		t.Fatalf("a acquired %+v", a)
	}

	_, err = s.AcquireLease(ctx, key, "replica-b", short)
	wantHeld(t, "b while a holds", err, key, "replica-a")

	again, err := s.AcquireLease(ctx, key, "replica-a", short)
	wantErr(t, "a acquires again", err, nil)
	if again.Token != a.Token {
		t.Fatalf("re-acquire by the holder changed the token %d -> %d", a.Token, again.Token)
	}
	renewed, err := s.RenewLease(ctx, a, short)
	wantErr(t, "a renews", err, nil)
	if renewed.Token != a.Token || renewed.Holder != a.Holder || renewed.Expires.Before(a.Expires) {
		t.Fatalf("renewed %+v from %+v", renewed, a)
	}

	rec, err := s.Create(ctx, "cycle/42/state", []byte("v1"))
	wantErr(t, "create record", err, nil)
	rec, err = s.UpdateFenced(ctx, a, rec.Key, []byte("v2 by a"), rec.Version)
	wantErr(t, "a writes under its lease", err, nil)

	time.Sleep(short + 100*time.Millisecond)

	b, err := s.AcquireLease(ctx, key, "replica-b", 10*time.Second)
	wantErr(t, "b acquires after expiry", err, nil)
	if b.Token <= a.Token {
		t.Fatalf("take-over token %d not above the stale %d", b.Token, a.Token)
	}

	_, err = s.RenewLease(ctx, a, short)
	wantErr(t, "stale a renews", err, state.ErrLeaseLost)
	wantErr(t, "stale a releases", s.ReleaseLease(ctx, a), state.ErrLeaseLost)
	_, err = s.UpdateFenced(ctx, a, rec.Key, []byte("zombie write"), rec.Version)
	wantErr(t, "stale a writes", err, state.ErrLeaseLost)
	_, err = s.AcquireLease(ctx, key, "replica-a", short)
	wantHeld(t, "a while b holds", err, key, "replica-b")

	_, err = s.UpdateFenced(ctx, b, rec.Key, []byte("stale version"), rec.Version-1)
	wantErr(t, "b writes at a stale version", err, state.ErrConflict)
	_, err = s.UpdateFenced(ctx, b, "cycle/42/missing", []byte("x"), 1)
	wantErr(t, "b writes a missing record", err, state.ErrNotFound)
	rec, err = s.UpdateFenced(ctx, b, rec.Key, []byte("v3 by b"), rec.Version)
	wantErr(t, "b writes", err, nil)
	if got, _ := s.Get(ctx, rec.Key); string(got.Value) != "v3 by b" || got.Version != 3 {
		t.Fatalf("record after fenced writes: %+v", got)
	}

	wantErr(t, "b releases", s.ReleaseLease(ctx, b), nil)
	wantErr(t, "b releases twice", s.ReleaseLease(ctx, b), state.ErrLeaseLost)
	_, err = s.UpdateFenced(ctx, b, rec.Key, []byte("after release"), rec.Version)
	wantErr(t, "b writes after release", err, state.ErrLeaseLost)

	// Re-taking a released lease, even by the same holder, is a new holding
	// with a new token: writes fenced by the old one stay refused.
	b2, err := s.AcquireLease(ctx, key, "replica-b", short)
	wantErr(t, "b acquires again", err, nil)
	if b2.Token <= b.Token {
		t.Fatalf("token after release %d not above %d", b2.Token, b.Token)
	}
	_, err = s.RenewLease(ctx, b, short)
	wantErr(t, "renew with the released token", err, state.ErrLeaseLost)

	// An expired lease is lost even when nobody took it over.
	time.Sleep(short + 100*time.Millisecond)
	_, err = s.RenewLease(ctx, b2, short)
	wantErr(t, "renew after expiry", err, state.ErrLeaseLost)
}

// wantHeld checks a refusal names the holder, through both errors.Is and
// errors.As.
func wantHeld(t *testing.T, what string, err error, key, holder string) {
	t.Helper()
	if !errors.Is(err, state.ErrLeaseHeld) {
		t.Fatalf("%s: got %v, want ErrLeaseHeld", what, err)
	}
	var held *state.HeldError
	if !errors.As(err, &held) {
		t.Fatalf("%s: %v is not a *state.HeldError", what, err)
	}
	if held.Key != key || held.Holder != holder || !held.Expires.After(time.Now().Add(-time.Second)) {
		t.Fatalf("%s: held error %+v, want key %s holder %s and a current expiry", what, held, key, holder)
	}
}

// testLeaseRace: 64 replicas try to take one lease; one gets it and every
// other refusal names the winner.
func testLeaseRace(t *testing.T, open Opener) {
	s, _ := open(t)
	ctx := t.Context()
	leases := make([]state.Lease, 64)
	errs := race(64, func(i int) error {
		var err error
		leases[i], err = s.AcquireLease(ctx, "scheduler", fmt.Sprintf("replica-%d", i), time.Minute)
		return err
	})
	w := oneWinner(t, "acquire", errs, state.ErrLeaseHeld)
	for i, err := range errs {
		if i != w {
			wantHeld(t, fmt.Sprintf("replica-%d", i), err, "scheduler", leases[w].Holder)
		}
	}
}
