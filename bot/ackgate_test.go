package bot

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
)

// waitReturned runs g.wait in a goroutine and returns a channel closed
// when it returns.
func waitReturned(ctx context.Context, g *ackGate) <-chan struct{} {
	done := make(chan struct{})
	go func() { defer close(done); g.wait(ctx) }()
	return done
}

// stillWaiting fails the test if done closes within a moment: the gate
// should be holding. (A broken gate returns at once, so the moment need
// not be long to catch it.)
func stillWaiting(t *testing.T, done <-chan struct{}, why string) {
	t.Helper()
	select {
	case <-done:
		t.Fatalf("wait returned %s", why)
	case <-time.After(50 * time.Millisecond):
	}
}

func returned(t *testing.T, done <-chan struct{}, why string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("wait still holds %s", why)
	}
}

// A worker's next job waits while any connection has a request in flight
// (new or active) and goes once every one is idle or closed; an idle
// connection that takes a new request is in flight again.
func TestAckGateHoldsWorkWhileRequestsInFlight(t *testing.T) {
	ctx := context.Background()
	g := newAckGate(time.Hour, time.Now)
	c1, c2 := &net.TCPConn{}, &net.TCPConn{}
	returned(t, waitReturned(ctx, g), "with no connection at all")

	g.connState(c1, http.StateNew)
	g.connState(c2, http.StateNew)
	done := waitReturned(ctx, g)
	stillWaiting(t, done, "while two connections were new")
	g.connState(c1, http.StateActive)
	g.connState(c1, http.StateIdle)
	stillWaiting(t, done, "while one connection was still new")
	g.connState(c2, http.StateActive)
	g.connState(c2, http.StateClosed)
	returned(t, done, "after every connection went idle or closed")
	returned(t, waitReturned(ctx, g), "with only idle connections")

	g.connState(c1, http.StateActive) // the idle connection takes a request
	done = waitReturned(ctx, g)
	stillWaiting(t, done, "while an idle connection took a new request")
	g.connState(c1, http.StateHijacked)
	returned(t, done, "after the connection was hijacked")

	cctx, cancel := context.WithCancel(ctx)
	g.connState(c2, http.StateNew)
	done = waitReturned(cctx, g)
	cancel()
	returned(t, done, "after its context ended")
}

// Under a steady flood work is late by at most the hold: once the busy
// spell is older than the hold, jobs start as if there were no gate.
func TestAckGateHoldIsBounded(t *testing.T) {
	clock := testkit.NewClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	g := newAckGate(250*time.Millisecond, clock.Now)
	c := &net.TCPConn{}
	g.connState(c, http.StateNew)
	clock.Advance(300 * time.Millisecond)
	returned(t, waitReturned(context.Background(), g), "past the hold although the spell began 300 ms ago")

	off := newAckGate(-1, time.Now)
	off.connState(c, http.StateNew)
	returned(t, waitReturned(context.Background(), off), "with holding turned off")
}

// Through the Handler: a command queued while another request is still
// being sent (its body held open) is not worked, and so not replied to,
// until that request has its answer.
func TestAckGateHandlerRepliesAfterRequestsInFlight(t *testing.T) {
	r := newRig(t, HandlerOptions{AckHold: time.Hour})
	heldBody := commandForm("help", "U1", "trig-held", r.sink.url("held"))
	held, release := io.Pipe()
	t.Cleanup(func() { release.Close() }) // before the server's Close waits for the connection
	heldDone := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, r.srv.URL+PathCommands, io.MultiReader(strings.NewReader(heldBody[:10]), held))
		req.ContentLength = int64(len(heldBody))
		req.Header = slackSign(testSecret, time.Now(), heldBody)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			heldDone <- -1
			return
		}
		resp.Body.Close()
		heldDone <- resp.StatusCode
	}()
	// The held request is in flight once its connection is.
	testkit.Eventually(t, 10*time.Second, "the held request's connection", func() bool {
		r.h.gate.mu.Lock()
		defer r.h.gate.mu.Unlock()
		return len(r.h.gate.active) > 0
	})
	body := commandForm("help", "U2", "trig-quick", r.sink.url("quick"))
	if code := postSigned(t, r.srv.URL, PathCommands, slackSign(testSecret, time.Now(), body), body); code != http.StatusOK {
		t.Fatalf("quick command answered %d", code)
	}
	select {
	case rep := <-r.sink.got:
		t.Fatalf("reply %s sent while a request was still in flight", rep.Path)
	case <-time.After(100 * time.Millisecond):
	}
	_, _ = io.WriteString(release, heldBody[10:])
	release.Close()
	if code := <-heldDone; code != http.StatusOK {
		t.Fatalf("held command answered %d", code)
	}
	got := map[string]bool{r.sink.next(t).Path: true, r.sink.next(t).Path: true}
	if !got["/hooks/quick"] || !got["/hooks/held"] {
		t.Fatalf("replies %v, want both commands'", got)
	}
}
