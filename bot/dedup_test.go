package bot

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Of many concurrent copies of one delivery, some carrying the same
// envelope and some a new envelope around the same payload, exactly one
// wins its keys. Claiming on past a lost key once let two copies split the
// keys and both drop the work.
func TestClaimAllExactlyOneWinner(t *testing.T) {
	h := NewHandler(newFakeEngine(), openBolt(t), nil, HandlerOptions{})
	ctx := context.Background()
	for round := range 50 {
		payload := fmt.Sprintf("slack/seen/click/T1/round-%d", round)
		var won atomic.Int32
		var wg sync.WaitGroup
		for copyN := range 8 {
			env := envelopeKey(fmt.Sprintf("r%d-env-%d", round, copyN%2))
			wg.Go(func() {
				ok, err := h.claimAll(ctx, []string{env, payload})
				if err != nil {
					t.Error(err)
				}
				if ok {
					won.Add(1)
				}
			})
		}
		wg.Wait()
		if n := won.Load(); n != 1 {
			t.Fatalf("round %d: %d copies won, want exactly 1", round, n)
		}
	}
}

// The interleaving that lost work, step by step: copy A has taken the
// envelope key and not yet the payload key when copy B arrives. B must give
// up without touching the payload key, so A's next claim still wins it.
func TestClaimAllLeavesLaterKeysToTheWinner(t *testing.T) {
	st := openBolt(t)
	h := NewHandler(newFakeEngine(), st, nil, HandlerOptions{})
	ctx := context.Background()
	env, payload := envelopeKey("env-1"), "slack/seen/click/T1/x"
	if ok, _ := st.Claim(ctx, env, time.Hour); !ok { // A, first step
		t.Fatal("setup")
	}
	if ok, err := h.claimAll(ctx, []string{env, payload}); ok || err != nil { // B
		t.Fatalf("copy B won (%v, %v)", ok, err)
	}
	if ok, _ := st.Claim(ctx, payload, time.Hour); !ok { // A, second step
		t.Fatal("copy B took the payload key it had no right to; both copies would drop the work")
	}
}

func TestDedupKeys(t *testing.T) {
	if a, b := commandKey("T1", "", []byte("x")), commandKey("T1", "", []byte("y")); a == b {
		t.Fatal("commands without trigger IDs share a key")
	}
	if commandKey("T1", "trig", []byte("x")) != commandKey("T1", "trig", []byte("y")) {
		t.Fatal("one trigger ID, two keys")
	}
	if clickKey("T1", "i") == clickKey("T2", "i") {
		t.Fatal("teams share click keys")
	}
}
