package testkit

import (
	"testing"
	"time"
)

// maxPoll bounds the backoff between polls, so a condition that becomes
// true late is still seen promptly.
const maxPoll = 50 * time.Millisecond

// Eventually polls cond, starting every millisecond and backing off to
// maxPoll, until it returns true; if timeout passes first the test fails
// with "timed out after <timeout> waiting for <what>". The timeout is a
// bound for a broken build, not a measurement: pick it generously.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(timeout, cond) {
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}

// Poll is Eventually without a test: it reports whether cond became true
// within timeout, for callers that decide themselves what a timeout means.
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	wait := time.Millisecond
	for {
		if cond() {
			return true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		timer := time.NewTimer(min(wait, left))
		<-timer.C
		wait = min(2*wait, maxPoll)
	}
}
