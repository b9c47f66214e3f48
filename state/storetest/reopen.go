package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/patchgate/patchgate/state"
)

// testReopen writes one of everything, closes the store, opens the same
// storage again and reads it all back: records with their versions, the
// stream (which must still verify and keep chaining), live leases and
// claims, and fence counters that keep increasing.
func testReopen(t *testing.T, open Opener) {
	s, reopen := open(t)
	ctx := t.Context()

	a, err := s.Create(ctx, "reopen/a", []byte("a1"))
	wantErr(t, "create a", err, nil)
	a, err = s.Update(ctx, a.Key, []byte("a2"), a.Version)
	wantErr(t, "update a", err, nil)
	b, err := s.Create(ctx, "reopen/b", []byte("b1"))
	wantErr(t, "create b", err, nil)
	c, err := s.Create(ctx, "reopen/c", []byte("c1"))
	wantErr(t, "create c", err, nil)
	wantErr(t, "delete c", s.Delete(ctx, c.Key, c.Version), nil)

	var entries []state.Entry
	for i := range 25 {
		e, err := s.Append(ctx, "audit/reopen", fmt.Appendf(nil, "event %d", i))
		wantErr(t, "append", err, nil)
		entries = append(entries, e)
	}
	held, err := s.AcquireLease(ctx, "scheduler", "replica-a", time.Minute)
	wantErr(t, "acquire held", err, nil)
	released, err := s.AcquireLease(ctx, "cycle/7", "replica-a", time.Minute)
	wantErr(t, "acquire released", err, nil)
	wantErr(t, "release", s.ReleaseLease(ctx, released), nil)
	ok, err := s.Claim(ctx, "interaction/reopen", time.Minute)
	if err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}

	wantErr(t, "close", s.Close(), nil)
	s = reopen()

	got, err := s.Get(ctx, "reopen/a")
	wantErr(t, "get a", err, nil)
	if string(got.Value) != "a2" || got.Version != 2 {
		t.Fatalf("a after reopen: %+v", got)
	}
	list, err := s.List(ctx, "reopen/")
	wantErr(t, "list", err, nil)
	if len(list) != 2 || list[0].Key != a.Key || list[1].Key != b.Key || list[1].Version != 1 || string(list[1].Value) != "b1" {
		t.Fatalf("list after reopen: %+v", list)
	}
	_, err = s.Get(ctx, c.Key)
	wantErr(t, "deleted c after reopen", err, state.ErrNotFound)
	_, err = s.Update(ctx, a.Key, []byte("stale"), 1)
	wantErr(t, "stale update after reopen", err, state.ErrConflict)

	read, err := s.Read(ctx, "audit/reopen", 1, 0)
	wantErr(t, "read", err, nil)
	if !sameEntries(read, entries) {
		t.Fatalf("stream after reopen: %v, want %v", seqs(read), seqs(entries))
	}
	e, err := s.Append(ctx, "audit/reopen", []byte("after reopen"))
	wantErr(t, "append after reopen", err, nil)
	checkEntry(t, "audit/reopen", e, 26, []byte("after reopen"), entries)
	v, err := s.Verify(ctx, "audit/reopen")
	if err != nil || !v.OK() || v.Checked != 26 {
		t.Fatalf("verify after reopen: %+v %v", v, err)
	}

	_, err = s.AcquireLease(ctx, "scheduler", "replica-b", time.Minute)
	wantHeld(t, "scheduler after reopen", err, "scheduler", "replica-a")
	wantErr(t, "release the lease taken before reopen", s.ReleaseLease(ctx, held), nil)
	for _, before := range []state.Lease{held, released} {
		after, err := s.AcquireLease(ctx, before.Key, "replica-b", time.Minute)
		wantErr(t, "acquire "+before.Key+" after reopen", err, nil)
		if after.Token <= before.Token {
			t.Fatalf("%s: token %d after reopen, not above %d from before", before.Key, after.Token, before.Token)
		}
	}
	ok, err = s.Claim(ctx, "interaction/reopen", time.Minute)
	if err != nil || ok {
		t.Fatalf("claim taken before reopen was granted again: %v %v", ok, err)
	}
}

// testClosed: after Close every call returns state.ErrClosed, Close included.
func testClosed(t *testing.T, open Opener) {
	s, _ := open(t)
	ctx := t.Context()
	rec, err := s.Create(ctx, "closed/x", []byte("x"))
	wantErr(t, "create", err, nil)
	wantErr(t, "close", s.Close(), nil)

	lease := state.Lease{Key: "l", Holder: "h", Token: 1}
	calls := map[string]func() error{
		"Get":          func() error { _, err := s.Get(ctx, rec.Key); return err },
		"Create":       func() error { _, err := s.Create(ctx, "closed/y", nil); return err },
		"Update":       func() error { _, err := s.Update(ctx, rec.Key, nil, 1); return err },
		"UpdateFenced": func() error { _, err := s.UpdateFenced(ctx, lease, rec.Key, nil, 1); return err },
		"Delete":       func() error { return s.Delete(ctx, rec.Key, 1) },
		"List":         func() error { _, err := s.List(ctx, ""); return err },
		"Claim":        func() error { _, err := s.Claim(ctx, "c", time.Second); return err },
		"AcquireLease": func() error { _, err := s.AcquireLease(ctx, "l", "h", time.Second); return err },
		"RenewLease":   func() error { _, err := s.RenewLease(ctx, lease, time.Second); return err },
		"ReleaseLease": func() error { return s.ReleaseLease(ctx, lease) },
		"Append":       func() error { _, err := s.Append(ctx, "s", nil); return err },
		"AppendAt":     func() error { _, err := s.AppendAt(ctx, "s", 1, nil); return err },
		"Read":         func() error { _, err := s.Read(ctx, "s", 1, 0); return err },
		"Head":         func() error { _, err := s.Head(ctx, "s"); return err },
		"Streams":      func() error { _, err := s.Streams(ctx, ""); return err },
		"Verify":       func() error { _, err := s.Verify(ctx, "s"); return err },
		"Close":        s.Close,
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, state.ErrClosed) {
			t.Errorf("%s after Close: got %v, want ErrClosed", name, err)
		}
	}
}
