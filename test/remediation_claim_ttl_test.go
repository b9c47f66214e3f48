package test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/boltstore"
)

// TestConfigEventClaimExpires: on bbolt with the engines' fake clock, an
// event's claim names its remediation and recognises a redelivery until
// remediation.claim_ttl (default: longer than SQS's 14-day retention) has
// passed, after which the store deletes it. Redis' native expiry of the
// same records is TestCreateTTLExpiresOnRedis (state/redisstore).
func TestConfigEventClaimExpires(t *testing.T) {
	ctx := context.Background()
	var h *harness
	clock := func() time.Time {
		if h == nil {
			return start
		}
		return h.clock.Now()
	}
	b := backend{"bolt", func(t testing.TB) state.Store {
		st, err := boltstore.Open(t.TempDir()+"/state.db", boltstore.WithNow(clock))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}}
	h = remHarness(t, b)
	tn := gateTenant().Name
	host := h.envHosts(tn, "nonprod")[0]
	claim := func(id string) (string, error) {
		r, err := h.store.Get(ctx, "runbooks/remediation/event/"+id)
		return string(r.Value), err
	}
	id := h.intakeEverywhere(ctx, nonCompliant("ev-1", host, tn, "nonprod", start))
	if got, err := claim("ev-1"); err != nil || got != id {
		t.Fatalf("claim of ev-1: %q, %v; want %s", got, err, id)
	}
	if runbooks.DefaultClaimTTL <= 14*24*time.Hour {
		t.Fatalf("default claim lifetime %s does not outlast SQS's 14-day retention", runbooks.DefaultClaimTTL)
	}
	// At the end of SQS's retention a redelivery still finds its claim.
	h.clock.Advance(14 * 24 * time.Hour)
	if again := h.intakeEverywhere(ctx, nonCompliant("ev-1", host, tn, "nonprod", start)); again != id {
		t.Fatalf("ev-1 redelivered after 14 days went to %q, want %s (its claim)", again, id)
	}
	// Past the lifetime the next claims written sweep it away.
	h.clock.Advance(runbooks.DefaultClaimTTL - 14*24*time.Hour + time.Minute)
	h.intakeEverywhere(ctx, nonCompliant("ev-2", host, tn, "nonprod", h.clock.Now()))
	if _, err := claim("ev-1"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("claim of ev-1 after its lifetime: %v, want deleted", err)
	}
	if _, err := claim("ev-2"); err != nil {
		t.Fatalf("claim of ev-2: %v", err)
	}
}
