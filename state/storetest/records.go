package storetest

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/patchgate/patchgate/state"
)

// testRecords walks one record through its life as a table of steps, each
// depending on the ones before: the compare-and-swap rules in order.
func testRecords(t *testing.T, open Opener) {
	s, _ := open(t)
	const key = "cycle/acme/2026-06"
	binary := []byte{0, 1, 0xff, '\n', 0}
	steps := []struct {
		name        string
		do          func(ctx context.Context) (state.Record, error)
		want        error
		wantVersion int64 // of the stored record after the step; 0: absent
		wantValue   []byte
	}{
		{"get missing", func(ctx context.Context) (state.Record, error) { return s.Get(ctx, key) }, state.ErrNotFound, 0, nil},
		{"update missing", func(ctx context.Context) (state.Record, error) { return s.Update(ctx, key, []byte("x"), 1) }, state.ErrNotFound, 0, nil},
		{"delete missing", func(ctx context.Context) (state.Record, error) { return state.Record{}, s.Delete(ctx, key, 1) }, state.ErrNotFound, 0, nil},
		{"create", func(ctx context.Context) (state.Record, error) { return s.Create(ctx, key, []byte("v1")) }, nil, 1, []byte("v1")},
		{"create again", func(ctx context.Context) (state.Record, error) { return s.Create(ctx, key, []byte("other")) }, state.ErrConflict, 1, []byte("v1")},
		{"update at 1", func(ctx context.Context) (state.Record, error) { return s.Update(ctx, key, []byte("v2"), 1) }, nil, 2, []byte("v2")},
		{"update stale", func(ctx context.Context) (state.Record, error) { return s.Update(ctx, key, []byte("lost"), 1) }, state.ErrConflict, 2, []byte("v2")},
		{"update future", func(ctx context.Context) (state.Record, error) { return s.Update(ctx, key, []byte("lost"), 3) }, state.ErrConflict, 2, []byte("v2")},
		{"update binary", func(ctx context.Context) (state.Record, error) { return s.Update(ctx, key, binary, 2) }, nil, 3, binary},
		{"update empty", func(ctx context.Context) (state.Record, error) { return s.Update(ctx, key, nil, 3) }, nil, 4, nil},
		{"delete stale", func(ctx context.Context) (state.Record, error) { return state.Record{}, s.Delete(ctx, key, 3) }, state.ErrConflict, 4, nil},
		{"delete", func(ctx context.Context) (state.Record, error) { return state.Record{}, s.Delete(ctx, key, 4) }, nil, 0, nil},
		{"delete twice", func(ctx context.Context) (state.Record, error) { return state.Record{}, s.Delete(ctx, key, 4) }, state.ErrNotFound, 0, nil},
		{"create after delete", func(ctx context.Context) (state.Record, error) { return s.Create(ctx, key, []byte("new")) }, nil, 1, []byte("new")},
	}
	ctx := t.Context()
	for _, st := range steps {
		rec, err := st.do(ctx)
		wantErr(t, st.name, err, st.want)
		if st.want == nil && rec.Key != "" && (rec.Version != st.wantVersion || !bytes.Equal(rec.Value, st.wantValue)) {
			t.Fatalf("%s: returned version %d value %q, want %d %q", st.name, rec.Version, rec.Value, st.wantVersion, st.wantValue)
		}
		got, err := s.Get(ctx, key)
		if st.wantVersion == 0 {
			wantErr(t, st.name+": get after", err, state.ErrNotFound)
			continue
		}
		wantErr(t, st.name+": get after", err, nil)
		if got.Key != key || got.Version != st.wantVersion || !bytes.Equal(got.Value, st.wantValue) {
			t.Fatalf("%s: stored %+v, want version %d value %q", st.name, got, st.wantVersion, st.wantValue)
		}
	}
}

// testList checks prefix listing: sorted by key, exact prefix matching (the
// prefix "a/" must not pick up the sibling "ab"), and deleted keys gone.
func testList(t *testing.T, open Opener) {
	s, _ := open(t)
	ctx := t.Context()
	for _, k := range []string{"b/1", "a/2", "ab", "a", "a/1", "a/", "a/1/x", "a0", "c"} {
		if _, err := s.Create(ctx, k, []byte("val:"+k)); err != nil {
			t.Fatalf("create %s: %v", k, err)
		}
	}
	gone, err := s.Create(ctx, "a/3", []byte("deleted"))
	wantErr(t, "create a/3", err, nil)
	wantErr(t, "delete a/3", s.Delete(ctx, gone.Key, gone.Version), nil)
	if _, err := s.Update(ctx, "a/2", []byte("val:a/2 v2"), 1); err != nil {
		t.Fatalf("update a/2: %v", err)
	}

	tests := []struct {
		prefix string
		want   []string
	}{
		{"a/", []string{"a/", "a/1", "a/1/x", "a/2"}},
		{"a", []string{"a", "a/", "a/1", "a/1/x", "a/2", "a0", "ab"}},
		{"a/1", []string{"a/1", "a/1/x"}},
		{"b/", []string{"b/1"}},
		{"zzz", nil},
		{"", []string{"a", "a/", "a/1", "a/1/x", "a/2", "a0", "ab", "b/1", "c"}},
	}
	for _, tc := range tests {
		recs, err := s.List(ctx, tc.prefix)
		wantErr(t, "list "+tc.prefix, err, nil)
		var keys []string
		for _, r := range recs {
			keys = append(keys, r.Key)
			wantValue, wantVersion := "val:"+r.Key, int64(1)
			if r.Key == "a/2" {
				wantValue, wantVersion = "val:a/2 v2", 2
			}
			if string(r.Value) != wantValue || r.Version != wantVersion {
				t.Errorf("list %q: %s = %q version %d, want %q version %d", tc.prefix, r.Key, r.Value, r.Version, wantValue, wantVersion)
			}
		}
		if !slices.Equal(keys, tc.want) {
			t.Errorf("list %q = %q, want %q", tc.prefix, keys, tc.want)
		}
	}
}

// testKeys stores keys with the characters real keys carry (slashes, colons,
// spaces, braces, non-ASCII) and reads each back exactly.
func testKeys(t *testing.T, open Opener) {
	s, _ := open(t)
	ctx := t.Context()
	keys := []string{"cycle/acme/prod/2026-06-28", "tenant:acme/host:i-0abc", "with space/x", "{brace}/x", "ümlaut/ß", "x"}
	for _, k := range keys {
		if _, err := s.Create(ctx, k, []byte(k)); err != nil {
			t.Fatalf("create %q: %v", k, err)
		}
	}
	for _, k := range keys {
		r, err := s.Get(ctx, k)
		wantErr(t, "get "+k, err, nil)
		if string(r.Value) != k {
			t.Errorf("get %q = %q", k, r.Value)
		}
	}
	recs, err := s.List(ctx, "")
	wantErr(t, "list all", err, nil)
	want := slices.Clone(keys)
	slices.Sort(want)
	var got []string
	for _, r := range recs {
		got = append(got, r.Key)
	}
	if !slices.Equal(got, want) {
		t.Errorf("list all = %q, want %q", got, want)
	}
}
