package boltstore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/state"
)

// TestCreateTTLExpiresOnBolt: a record created with a lifetime is kept,
// updated with its lifetime, through the whole of it, and deleted after it
// by the next CreateTTL's sweep or by reopening the file; a record without
// one is never touched. The clock is fake.
func TestCreateTTLExpiresOnBolt(t *testing.T) {
	ctx := context.Background()
	clk := testkit.NewClock(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := Open(path, WithNow(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { st.Close() }()
	ttl := 15 * 24 * time.Hour
	if _, err := st.CreateTTL(ctx, "claim/a", []byte("RM-1"), ttl); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateTTL(ctx, "claim/a", []byte("RM-2"), ttl); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("second CreateTTL of one key: %v, want a conflict", err)
	}
	if _, err := st.Create(ctx, "kept", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update(ctx, "claim/a", []byte("RM-3"), 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(ttl - time.Minute)
	if _, err := st.CreateTTL(ctx, "claim/b", []byte("RM-1"), ttl); err != nil {
		t.Fatal(err)
	}
	if r, err := st.Get(ctx, "claim/a"); err != nil || string(r.Value) != "RM-3" {
		t.Fatalf("a minute before its lifetime ends claim/a is %q, %v", r.Value, err)
	}
	clk.Advance(2 * time.Minute)
	if _, err := st.CreateTTL(ctx, "claim/c", []byte("RM-1"), ttl); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, "claim/a"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("after its lifetime claim/a: %v, want not found (swept by the next CreateTTL)", err)
	}
	if _, err := st.Get(ctx, "claim/b"); err != nil {
		t.Fatalf("claim/b, whose lifetime runs on: %v", err)
	}
	// Reopening sweeps the rest.
	clk.Advance(ttl)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err = Open(path, WithNow(clk.Now)); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"claim/b", "claim/c"} {
		if _, err := st.Get(ctx, k); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("after reopening past its lifetime %s: %v, want not found", k, err)
		}
	}
	if _, err := st.Get(ctx, "kept"); err != nil {
		t.Errorf("a record without a lifetime: %v", err)
	}
}
