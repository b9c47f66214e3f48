package test

import (
	"context"
	"testing"

	"github.com/patchgate/patchgate/state"
)

// verifyAllStreams re-walks every audit chain in the store.
func verifyAllStreams(t *testing.T, st state.Store) {
	t.Helper()
	ctx := context.Background()
	streams, err := st.Streams(ctx, "audit/")
	if err != nil {
		t.Fatal(err)
	}
	if len(streams) == 0 {
		t.Fatal("no audit streams")
	}
	for _, s := range streams {
		v, err := st.Verify(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if !v.OK() {
			t.Errorf("%s broken at %d: %s", s, v.BrokenAt, v.Problem)
		}
	}
}
