package bot

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// ackGate lets acknowledgements go before the work they queued. Slack
// shows the person an error when a request's 200 takes over 3 s; the work
// has no such deadline (its reply goes to the response_url). In a burst of
// clicks, work that starts while other requests still wait for their 200
// takes the CPU those need, so a worker holds its next job while requests
// are in flight, but never past hold after that busy spell began: under a
// steady flood, work is late by at most hold, then runs as it would
// without the gate.
//
// A request is in flight from the moment its connection is accepted or
// leaves idle until the connection is idle again, as the server's
// connection states say (Handler.ConnState): most of an answer's time is
// spent before the handler runs (accepting, reading headers), where a
// count kept inside the handler sees nothing.
type ackGate struct {
	hold time.Duration // ≤ 0: never hold
	now  func() time.Time

	mu     sync.Mutex
	active map[net.Conn]struct{} // connections with a request in flight
	since  time.Time             // when the current busy spell began
	quiet  chan struct{}         // closed when it ends
}

func newAckGate(hold time.Duration, now func() time.Time) *ackGate {
	return &ackGate{hold: hold, now: now, active: map[net.Conn]struct{}{}}
}

// connState follows a connection's state: new and active connections
// have a request in flight; idle, hijacked and closed ones do not.
func (g *ackGate) connState(c net.Conn, s http.ConnState) {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, was := g.active[c]
	busy := s == http.StateNew || s == http.StateActive
	switch {
	case busy && !was:
		if len(g.active) == 0 {
			g.since, g.quiet = g.now(), make(chan struct{})
		}
		g.active[c] = struct{}{}
	case !busy && was:
		delete(g.active, c)
		if len(g.active) == 0 {
			close(g.quiet)
		}
	}
}

// wait returns once no request is in flight, hold has passed since the
// busy spell began, or ctx ends.
func (g *ackGate) wait(ctx context.Context) {
	if g == nil || g.hold <= 0 {
		return
	}
	g.mu.Lock()
	if len(g.active) == 0 {
		g.mu.Unlock()
		return
	}
	quiet, left := g.quiet, g.hold-g.now().Sub(g.since)
	g.mu.Unlock()
	if left <= 0 {
		return
	}
	t := time.NewTimer(left)
	defer t.Stop()
	select {
	case <-quiet:
	case <-t.C:
	case <-ctx.Done():
	}
}
