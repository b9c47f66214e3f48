package metrics

import (
	"context"
	"testing"

	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/boltstore"
)

// BenchmarkStoreGet measures what the store decorator adds to a call: a
// bolt Get, bare and instrumented.
func BenchmarkStoreGet(b *testing.B) {
	st, err := boltstore.Open(b.TempDir() + "/state.db")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if _, err := st.Create(ctx, "k", []byte("value")); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		st   state.Store
	}{{"bare", st}, {"instrumented", New().Store(st)}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := tc.st.Get(ctx, "k"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
