package redisstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/redisstore/redistest"
)

// TestCreateTTLExpiresOnRedis: on a real redis-server a record created with
// a lifetime carries Redis' own expiry (PTTL), keeps it through Update, is
// not listed, and is gone once Redis expires it.
func TestCreateTTLExpiresOnRedis(t *testing.T) {
	ctx := context.Background()
	sock := redistest.Start(t)
	st, err := Open(ctx, Options{Network: "unix", Addr: sock, Prefix: "ttl"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	long := 15 * 24 * time.Hour
	if _, err := st.CreateTTL(ctx, "claim/long", []byte("RM-1"), long); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateTTL(ctx, "claim/long", []byte("RM-2"), long); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("second CreateTTL of one key: %v, want a conflict", err)
	}
	if _, err := st.Update(ctx, "claim/long", []byte("RM-3"), 1); err != nil {
		t.Fatal(err)
	}
	pttl, err := st.rdb.PTTL(ctx, st.keys.record("claim/long")).Result()
	if err != nil || pttl <= long-time.Hour || pttl > long {
		t.Fatalf("Redis' expiry of the updated record is %s (%v), want about %s", pttl, err, long)
	}
	if recs, err := st.List(ctx, "claim/"); err != nil || len(recs) != 0 {
		t.Fatalf("List shows %d records with a lifetime (%v), want none", len(recs), err)
	}
	if _, err := st.CreateTTL(ctx, "claim/short", []byte("RM-1"), 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, "Redis to expire claim/short", func() bool {
		_, err := st.Get(ctx, "claim/short")
		return errors.Is(err, state.ErrNotFound)
	})
	if r, err := st.Get(ctx, "claim/long"); err != nil || string(r.Value) != "RM-3" {
		t.Fatalf("claim/long: %q, %v", r.Value, err)
	}
}
