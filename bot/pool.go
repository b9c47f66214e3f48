package bot

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrStopping: the handler is shutting down and takes no new work.
var ErrStopping = errors.New("bot: shutting down")

// job is one piece of work handed over after Slack was acknowledged.
type job func(ctx context.Context)

// pool is a bounded worker pool. Work waits in a bounded queue; submitting
// to a full queue blocks until there is room, the submitter's ctx ends or
// the pool stops, so a flood of clicks cannot grow memory without bound.
type pool struct {
	gate     *ackGate // nil: jobs start as soon as a worker is free
	queue    chan job
	stopping chan struct{}
	stopOnce sync.Once

	mu     sync.RWMutex // held for reading while sending on queue
	closed bool
}

func newPool(queueSize int, gate *ackGate) *pool {
	return &pool{gate: gate, queue: make(chan job, queueSize), stopping: make(chan struct{})}
}

// submit queues j. It fails with ErrStopping once stop began, or with
// ctx's error if the queue stayed full until ctx ended.
func (p *pool) submit(ctx context.Context, j job) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrStopping
	}
	select {
	case p.queue <- j:
		return nil
	default:
	}
	select {
	case p.queue <- j:
		return nil
	case <-p.stopping:
		return ErrStopping
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run works the queue with n workers until stop is called, then finishes
// what is queued. Jobs get a context that is cancelled only when drain has
// passed after stop, so queued work is not cut short by the shutdown that
// stopped intake, yet cannot hold the process up for longer than drain.
func (p *pool) run(workers int, drain time.Duration, stopped <-chan struct{}) {
	jobCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range p.queue {
				p.gate.wait(jobCtx)
				j(jobCtx)
			}
		})
	}
	<-stopped
	p.stop()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(drain)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		// Out of time: cancel what runs (jobs honour ctx, so they return
		// promptly) and let the rest of the queue fail fast.
		cancel()
		<-done
	}
}

// stop ends intake: blocked submitters return ErrStopping, the queue is
// closed so workers exit once it is empty.
func (p *pool) stop() {
	p.stopOnce.Do(func() {
		close(p.stopping)
		p.mu.Lock()
		p.closed = true
		close(p.queue)
		p.mu.Unlock()
	})
}
