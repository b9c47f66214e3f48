package metrics

import (
	"context"
	"sync"

	"github.com/patchgate/patchgate/runbooks"
)

// Chat wraps the engine's chat port (nil for none) to read the cycle's
// audit events as they are delivered: cycles finished, stage durations,
// stage and gate failures, approvals. Events are counted only once the
// inner chat took them (a failed delivery is offered again), and each
// (cycle, seq) once per process.
func (m *Metrics) Chat(inner runbooks.Chat) runbooks.Chat { return &chat{inner: inner, m: m} }

type chat struct {
	inner runbooks.Chat
	m     *Metrics
}

func (c *chat) CycleChanged(ctx context.Context, cy *runbooks.Cycle, events []runbooks.Event) error {
	if c.inner != nil {
		if err := c.inner.CycleChanged(ctx, cy, events); err != nil {
			return err
		}
	}
	for _, ev := range events {
		if c.m.events.fresh(ev) {
			c.m.observeEvent(cy, ev)
		}
	}
	return nil
}

func (m *Metrics) observeEvent(c *runbooks.Cycle, ev runbooks.Event) {
	switch ev.Type {
	case runbooks.EvCycleCompleted:
		m.cyclesFinished.WithLabelValues(string(runbooks.StatusCompleted)).Inc()
	case runbooks.EvCycleRejected:
		m.cyclesFinished.WithLabelValues(string(runbooks.StatusRejected)).Inc()
	case runbooks.EvStageDone:
		if s, _ := c.Stage(ev.Stage); s != nil && !s.Started.IsZero() {
			m.stageDuration.WithLabelValues(ev.Stage).Observe(ev.At.Sub(s.Started).Seconds())
		}
	case runbooks.EvStageFailed:
		m.stageFailures.WithLabelValues(ev.Stage).Inc()
	case runbooks.EvGateFailed:
		m.gateFailures.WithLabelValues(ev.Data["gate"]).Inc()
	case runbooks.EvApproved:
		m.approvals.WithLabelValues(ev.Stage).Inc()
	}
}

// eventLog remembers the last event seen per cycle. A cycle's events are
// delivered in order, so anything at or below it is a redelivery.
type eventLog struct {
	mu   sync.Mutex
	last map[string]int64
}

// maxCycles bounds the memory; forgetting risks counting a redelivered
// event of an old cycle twice, which is harmless next to growing forever.
const maxCycles = 10000

func newEventLog() *eventLog { return &eventLog{last: map[string]int64{}} }

func (l *eventLog) fresh(ev runbooks.Event) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ev.Seq <= l.last[ev.Cycle] {
		return false
	}
	if len(l.last) >= maxCycles {
		clear(l.last)
	}
	l.last[ev.Cycle] = ev.Seq
	return true
}
