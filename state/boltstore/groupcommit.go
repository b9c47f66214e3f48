package boltstore

import (
	"sync"

	"github.com/patchgate/patchgate/state"
)

// appendGroup batches concurrent appends into one write transaction.
//
// Each bbolt commit costs two fsyncs, and appends to the audit stream come
// from many goroutines at once. The first caller to arrive commits
// immediately (so a lone appender waits for nobody, unlike bolt's DB.Batch
// timer); callers arriving meanwhile queue up and the next one of them
// commits the whole queue in one transaction. Requests in one batch run in
// arrival order, each seeing the heads the previous ones wrote.
type appendGroup struct {
	mu      sync.Mutex
	pending []*appendReq
	busy    bool // a leader is committing; newcomers queue
}

// appendReq is one Append or AppendAt waiting for its batch.
type appendReq struct {
	stream string
	seq    int64 // AppendAt's expected sequence; 0 for Append
	data   []byte

	entry state.Entry
	err   error
	done  chan struct{} // closed once entry or err is set
	lead  chan struct{} // closed when this request must commit the queue
}

// do queues r and returns once a batch including it was committed, either by
// this goroutine or by another. commit must fill in and close every request
// it is given.
func (g *appendGroup) do(r *appendReq, commit func([]*appendReq)) {
	r.done = make(chan struct{})
	r.lead = make(chan struct{})
	g.mu.Lock()
	g.pending = append(g.pending, r)
	leader := !g.busy
	g.busy = true
	g.mu.Unlock()

	if !leader {
		select {
		case <-r.done:
			return
		case <-r.lead:
		}
	}

	g.mu.Lock()
	batch := g.pending
	g.pending = nil
	g.mu.Unlock()

	commit(batch)

	// Hand leadership to the oldest waiter instead of looping here, so a
	// caller is never kept busy committing other goroutines' appends.
	g.mu.Lock()
	if len(g.pending) > 0 {
		close(g.pending[0].lead)
	} else {
		g.busy = false
	}
	g.mu.Unlock()
}
