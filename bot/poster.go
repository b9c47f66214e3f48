package bot

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/patchgate/patchgate/internal/ctxsleep"
)

// poster sends the notifier's Web API calls. Per channel, posts (new
// messages and file uploads) go out one at a time in the order they were
// queued, and updates to one message coalesce: a newer rendering replaces a
// queued one, and a message is updated at most once per interval. A call
// Slack rate-limits waits its Retry-After and is sent again; a transient
// failure is retried with backoff; either up to maxSendAttempts. While a channel
// waits out a 429, everything queued for it waits too, which is what Slack
// asks of a client.
type poster struct {
	log      *slog.Logger
	interval time.Duration
	retry    retryPolicy

	// settled, if set, is called whenever a channel's worker ends.
	settled func()

	mu       sync.Mutex
	queues   map[string]*channelQueue
	ctx      context.Context // the context workers run under; nil until start
	draining bool            // updates go out without waiting for their interval
	workers  sync.WaitGroup  // one per channel being served
}

// channelQueue is one channel's pending work.
type channelQueue struct {
	channel string
	posts   []*postJob
	updates map[string]*updateJob // by message ts
	wake    chan struct{}
	active  bool // a worker goroutine serves the queue
}

// postJob is one new message or upload; done receives its outcome.
type postJob struct {
	ctx  context.Context
	what string
	do   func(ctx context.Context) error
	done chan error
}

// updateJob is the pending chat.update of one message. do renders the
// message as it is when called, so whatever rendering is newest when the
// update goes out is the one sent.
type updateJob struct {
	what    string
	do      func(ctx context.Context) error
	pending bool
	last    time.Time // when the last update of this message went out
}

func newPoster(log *slog.Logger, interval time.Duration) *poster {
	return &poster{log: log, interval: interval, retry: defaultRetry, queues: map[string]*channelQueue{}}
}

// start lets workers run under ctx and serves whatever was queued before.
func (p *poster) start(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ctx, p.draining = ctx, false
	for _, q := range p.queues {
		p.serveLocked(q)
	}
}

// drain sends what is queued without waiting for update intervals; workers
// stop once their queue is empty.
func (p *poster) drain() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draining = true
	for _, q := range p.queues {
		q.poke()
	}
}

// stop forgets the worker context and waits for the workers to return
// (they do once that context ends); later work waits for the next start.
func (p *poster) stop() {
	p.mu.Lock()
	p.ctx = nil
	p.mu.Unlock()
	p.workers.Wait()
}

// idle reports whether no worker runs and nothing is queued that a worker
// could send (once the workers' context ended, nothing could).
func (p *poster) idle() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	stopped := p.ctx == nil || p.ctx.Err() != nil
	for _, q := range p.queues {
		if q.active || (q.hasWork() && !stopped) {
			return false
		}
	}
	return true
}

// post queues a new message or upload on channel behind everything already
// queued there, and waits until it was sent, failed for good, or ctx ended.
func (p *poster) post(ctx context.Context, channel, what string, do func(ctx context.Context) error) error {
	j := &postJob{ctx: ctx, what: what, do: do, done: make(chan error, 1)}
	p.mu.Lock()
	q := p.queueLocked(channel)
	q.posts = append(q.posts, j)
	p.serveLocked(q)
	q.poke()
	p.mu.Unlock()
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// update queues an update of the message ts in channel, replacing any queued
// update of it. It returns at once.
func (p *poster) update(channel, ts, what string, do func(ctx context.Context) error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.queueLocked(channel)
	u := q.updates[ts]
	if u == nil {
		u = &updateJob{}
		q.updates[ts] = u
	}
	u.what, u.do, u.pending = what, do, true
	p.serveLocked(q)
	q.poke()
}

func (p *poster) queueLocked(channel string) *channelQueue {
	q := p.queues[channel]
	if q == nil {
		q = &channelQueue{channel: channel, updates: map[string]*updateJob{}, wake: make(chan struct{}, 1)}
		p.queues[channel] = q
	}
	return q
}

// serveLocked starts q's worker if the poster runs and q has none.
func (p *poster) serveLocked(q *channelQueue) {
	if p.ctx == nil || p.ctx.Err() != nil || q.active || !q.hasWork() {
		return
	}
	q.active = true
	p.workers.Add(1)
	go func(ctx context.Context) {
		defer p.workers.Done()
		p.work(ctx, q)
		if p.settled != nil {
			p.settled()
		}
	}(p.ctx)
}

func (q *channelQueue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *channelQueue) hasWork() bool {
	if len(q.posts) > 0 {
		return true
	}
	for _, u := range q.updates {
		if u.pending {
			return true
		}
	}
	return false
}

// work serves q until it is empty or ctx ends.
func (p *poster) work(ctx context.Context, q *channelQueue) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		post, upd, wait, ok := p.next(ctx, q)
		if !ok {
			return
		}
		switch {
		case post != nil:
			post.done <- p.send(ctx, q.channel, post.what, post.do)
		case upd != nil:
			if err := p.send(ctx, q.channel, upd.what, upd.do); err != nil && ctx.Err() == nil {
				p.log.Error("update Slack message; the next change of it tries again",
					"channel", q.channel, "what", upd.what, "err", safeErr(err))
			}
		default:
			timer.Reset(wait)
			select {
			case <-q.wake:
			case <-timer.C:
			case <-ctx.Done():
			}
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		}
	}
}

// next picks q's next call: the oldest post, else the update that has been
// due longest. With neither due it says how long to wait; ok is false when
// the worker should stop (nothing queued, or ctx ended).
func (p *poster) next(ctx context.Context, q *channelQueue) (post *postJob, upd *updateJob, wait time.Duration, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ctx.Err() != nil {
		for _, j := range q.posts {
			j.done <- ctx.Err()
		}
		q.posts, q.active = nil, false
		return nil, nil, 0, false
	}
	for len(q.posts) > 0 {
		j := q.posts[0]
		q.posts = q.posts[1:]
		if err := j.ctx.Err(); err != nil {
			j.done <- err // its caller gave up waiting
			continue
		}
		return j, nil, 0, true
	}
	now := time.Now()
	var (
		best    *updateJob
		bestDue time.Time
	)
	for ts, u := range q.updates {
		if !u.pending {
			if now.Sub(u.last) >= p.interval {
				delete(q.updates, ts) // nothing to pace any more
			}
			continue
		}
		due := u.last.Add(p.interval)
		if p.draining || u.last.IsZero() {
			due = now
		}
		if best == nil || due.Before(bestDue) {
			best, bestDue = u, due
		}
	}
	if best == nil {
		q.active = false
		return nil, nil, 0, false
	}
	if d := bestDue.Sub(now); d > 0 {
		return nil, nil, d, true
	}
	best.pending, best.last = false, now
	// A copy, so a newer rendering queued during the call stays pending.
	return nil, &updateJob{what: best.what, do: best.do}, 0, true
}

// maxSendAttempts is how many times one Slack call is sent before the
// poster gives up on it: a Slack that keeps failing (or keeps asking to
// wait) must not hold a channel's queue, and with it the notifier's
// shutdown, for ever. The caller decides what a given-up call means: the
// root message is tried again on the cycle's next change, a thread
// message or file is logged and skipped.
const maxSendAttempts = 8

// send makes one call, waiting out rate limits and retrying transient
// failures until it succeeds, fails for good, has been tried
// maxSendAttempts times, or ctx ends.
func (p *poster) send(ctx context.Context, channel, what string, do func(ctx context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := do(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait, again := p.retry.after(err, attempt)
		if !again {
			return err
		}
		if attempt+1 >= maxSendAttempts {
			p.log.Error("Slack call given up", "channel", channel, "what", what,
				"attempts", attempt+1, "err", safeErr(err))
			return fmt.Errorf("%s: gave up after %d attempts: %w", what, attempt+1, err)
		}
		p.log.Warn("Slack call will be retried", "channel", channel, "what", what,
			"attempt", attempt+1, "wait", wait.String(), "err", safeErr(err))
		if err := ctxsleep.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}
