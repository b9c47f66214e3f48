package bot

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
)

// A full queue makes submit wait only as long as its ctx allows.
func TestPoolSubmitWatchesCtx(t *testing.T) {
	p := newPool(1, nil)
	if err := p.submit(context.Background(), func(context.Context) {}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := p.submit(ctx, func(context.Context) {}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("submit to a full queue: %v", err)
	}
	// A submitter blocked on the full queue is released by stop.
	done := make(chan error)
	go func() { done <- p.submit(context.Background(), func(context.Context) {}) }()
	// submit holds the read lock from its closed check until it returns, so
	// a write lock that cannot be had means it waits on the full queue.
	testkit.Eventually(t, 10*time.Second, "submit to block on the full queue", func() bool {
		if p.mu.TryLock() {
			p.mu.Unlock()
			return false
		}
		return true
	})
	p.stop()
	if err := <-done; !errors.Is(err, ErrStopping) {
		t.Fatalf("blocked submit after stop: %v", err)
	}
	if err := p.submit(context.Background(), func(context.Context) {}); !errors.Is(err, ErrStopping) {
		t.Fatalf("submit after stop: %v", err)
	}
}

// On stop, queued work still runs; work that outlives the drain bound has
// its ctx cancelled and run returns.
func TestPoolDrainIsBounded(t *testing.T) {
	p := newPool(8, nil)
	stopped := make(chan struct{})
	var ran, cancelled atomic.Int32
	for range 3 {
		_ = p.submit(context.Background(), func(ctx context.Context) { ran.Add(1) })
	}
	_ = p.submit(context.Background(), func(ctx context.Context) {
		<-ctx.Done() // never finishes on its own
		cancelled.Add(1)
	})
	close(stopped)
	began := time.Now()
	p.run(2, 100*time.Millisecond, stopped)
	if took := time.Since(began); took > 2*time.Second {
		t.Fatalf("drain took %s", took)
	}
	if ran.Load() != 3 || cancelled.Load() != 1 {
		t.Fatalf("ran %d, cancelled %d; want 3 and 1", ran.Load(), cancelled.Load())
	}
}
