package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/patchgate/patchgate/state"
)

// testStreams appends a few entries and reads them back every way the
// interface allows.
func testStreams(t *testing.T, open Opener) {
	s, _ := open(t)
	ctx := t.Context()
	const stream = "audit/acme"

	_, err := s.Head(ctx, stream)
	wantErr(t, "head of an empty stream", err, state.ErrNotFound)
	got, err := s.Read(ctx, stream, 1, 0)
	wantErr(t, "read an empty stream", err, nil)
	if len(got) != 0 {
		t.Fatalf("empty stream read %d entries", len(got))
	}
	_, err = s.Verify(ctx, stream)
	wantErr(t, "verify an empty stream", err, state.ErrNotFound)

	var appended []state.Entry
	for i := range 5 {
		data := fmt.Appendf(nil, "event %d\x00\xff", i+1)
		e, err := s.Append(ctx, stream, data)
		wantErr(t, "append", err, nil)
		checkEntry(t, stream, e, int64(i+1), data, appended)
		appended = append(appended, e)
	}

	tests := []struct {
		from  int64
		limit int
		want  []state.Entry
	}{
		{1, 0, appended},
		{0, 0, appended},
		{3, 0, appended[2:]},
		{2, 2, appended[1:3]},
		{5, 10, appended[4:]},
		{6, 0, nil},
		{1, 1, appended[:1]},
	}
	for _, tc := range tests {
		got, err := s.Read(ctx, stream, tc.from, tc.limit)
		wantErr(t, "read", err, nil)
		if !sameEntries(got, tc.want) {
			t.Errorf("read from %d limit %d: got %d entries %v, want %v", tc.from, tc.limit, len(got), seqs(got), seqs(tc.want))
		}
	}

	head, err := s.Head(ctx, stream)
	wantErr(t, "head", err, nil)
	if !sameEntries([]state.Entry{head}, appended[4:]) {
		t.Fatalf("head %+v, want %+v", head, appended[4])
	}
	v, err := s.Verify(ctx, stream)
	wantErr(t, "verify", err, nil)
	if !v.OK() || v.Checked != 5 || v.Head != head.Hash || v.Stream != stream {
		t.Fatalf("verify: %+v", v)
	}
}

// checkEntry checks an entry the store built: its sequence, its link to the
// previous entry and its hash.
func checkEntry(t *testing.T, stream string, e state.Entry, seq int64, data []byte, before []state.Entry) {
	t.Helper()
	wantPrev := ""
	if len(before) > 0 {
		wantPrev = before[len(before)-1].Hash
	}
	if e.Seq != seq || e.PrevHash != wantPrev || !bytes.Equal(e.Data, data) || e.Time.IsZero() {
		t.Fatalf("entry %+v, want seq %d prev %q data %q", e, seq, wantPrev, data)
	}
	if e.Hash != state.EntryHash(stream, e.Seq, e.Time, e.PrevHash, e.Data) {
		t.Fatalf("entry %d: hash %s does not match its content", e.Seq, e.Hash)
	}
}

// testAppendAt: a writer numbering its own events appends each exactly once.
func testAppendAt(t *testing.T, open Opener) {
	s, _ := open(t)
	ctx := t.Context()
	const stream = "audit/replay"
	steps := []struct {
		name string
		seq  int64
		want error
	}{
		{"gap on an empty stream", 2, state.ErrConflict},
		{"first", 1, nil},
		{"replay of the first", 1, state.ErrConflict},
		{"second", 2, nil},
		{"gap", 4, state.ErrConflict},
		{"third", 3, nil},
		{"replay of the second", 2, state.ErrConflict},
	}
	var appended []state.Entry
	for _, st := range steps {
		data := []byte(st.name)
		e, err := s.AppendAt(ctx, stream, st.seq, data)
		wantErr(t, st.name, err, st.want)
		if err == nil {
			checkEntry(t, stream, e, st.seq, data, appended)
			appended = append(appended, e)
		}
	}
	e, err := s.Append(ctx, stream, []byte("plain append"))
	wantErr(t, "append after AppendAt", err, nil)
	checkEntry(t, stream, e, 4, []byte("plain append"), appended)
	appended = append(appended, e)
	got, err := s.Read(ctx, stream, 1, 0)
	wantErr(t, "read", err, nil)
	if !sameEntries(got, appended) {
		t.Fatalf("read %v, want %v", seqs(got), seqs(appended))
	}
}

// testStreamList: Streams lists names by exact prefix, sorted.
func testStreamList(t *testing.T, open Opener) {
	s, _ := open(t)
	ctx := t.Context()
	for _, name := range []string{"audit/b", "audit/a", "auditx", "other/c", "audit/a/sub"} {
		if _, err := s.Append(ctx, name, []byte("x")); err != nil {
			t.Fatalf("append to %s: %v", name, err)
		}
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"audit/", []string{"audit/a", "audit/a/sub", "audit/b"}},
		{"audit", []string{"audit/a", "audit/a/sub", "audit/b", "auditx"}},
		{"", []string{"audit/a", "audit/a/sub", "audit/b", "auditx", "other/c"}},
		{"none/", nil},
	}
	for _, tc := range tests {
		got, err := s.Streams(ctx, tc.prefix)
		wantErr(t, "streams "+tc.prefix, err, nil)
		if !slices.Equal(got, tc.want) {
			t.Errorf("streams %q = %q, want %q", tc.prefix, got, tc.want)
		}
	}
}

// sameEntries compares entries field by field (times with Equal).
func sameEntries(a, b []state.Entry) bool {
	return slices.EqualFunc(a, b, func(x, y state.Entry) bool {
		return x.Seq == y.Seq && x.Hash == y.Hash && x.PrevHash == y.PrevHash && x.Time.Equal(y.Time) && bytes.Equal(x.Data, y.Data)
	})
}

func seqs(entries []state.Entry) []int64 {
	out := make([]int64, len(entries))
	for i, e := range entries {
		out[i] = e.Seq
	}
	return out
}
