package storetest

import (
	"bytes"
	"testing"

	"github.com/patchgate/patchgate/state"
)

// benchValue is about the size of a cycle record.
var benchValue = bytes.Repeat([]byte("x"), 512)

// BenchGet measures reading one record.
func BenchGet(b *testing.B, s state.Store) {
	ctx := b.Context()
	if _, err := s.Create(ctx, "bench/get", benchValue); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Get(ctx, "bench/get"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchUpdate measures one compare-and-swap write.
func BenchUpdate(b *testing.B, s state.Store) {
	ctx := b.Context()
	rec, err := s.Create(ctx, "bench/update", benchValue)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if rec, err = s.Update(ctx, rec.Key, benchValue, rec.Version); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchAppend measures one chained append to an audit stream.
func BenchAppend(b *testing.B, s state.Store) {
	ctx := b.Context()
	for b.Loop() {
		if _, err := s.Append(ctx, "bench/audit", benchValue[:256]); err != nil {
			b.Fatal(err)
		}
	}
}
