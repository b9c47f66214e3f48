package testkit

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestPollReturnsOnceTheConditionHolds(t *testing.T) {
	var calls atomic.Int32
	if !Poll(time.Minute, func() bool { return calls.Add(1) == 3 }) {
		t.Fatal("Poll gave up on a condition that became true")
	}
	if got := calls.Load(); got != 3 {
		t.Fatalf("cond called %d times, want 3 (stop at the first true)", got)
	}
}

func TestPollGivesUpAfterTheTimeout(t *testing.T) {
	var calls atomic.Int32
	if Poll(0, func() bool { calls.Add(1); return false }) {
		t.Fatal("Poll reported a condition that never held")
	}
	if got := calls.Load(); got != 1 {
		t.Fatalf("cond called %d times with no time left, want 1", got)
	}
}
