package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrClosed is returned by calls that need a running sandbox.
var ErrClosed = errors.New("sandbox slack: closed")

// Envelope is a snapshot of one Socket Mode envelope and its fate.
type Envelope struct {
	ID           string
	Type         string // "slash_commands", "interactive", "events_api"
	Payload      json.RawMessage
	RetryAttempt int // of the latest delivery: 0 first, then 1..MaxRetries
	Deliveries   int
	Acked        bool
	GaveUp       bool // never acknowledged after the last retry
}

// Ack is one acknowledgement the client sent.
type Ack struct {
	EnvelopeID   string
	Type         string // the envelope's type; "" if the id was unknown
	RetryAttempt int    // the envelope's retry attempt when the ack came
	Payload      json.RawMessage
	At           time.Time
}

type envelope struct {
	id         string
	typ        string
	payload    json.RawMessage
	accepts    bool   // accepts_response_payload
	respondTo  string // response_url path an ack payload answers through
	attempt    int
	reason     string
	deliveries int
	acked      bool
	gaveUp     bool
	ackedCh    chan struct{}
	failedCh   chan struct{}
	timer      *time.Timer
}

func (e *envelope) stopTimer() {
	if e.timer != nil {
		e.timer.Stop()
	}
}

// envelopeFrame is the envelope as it travels on the socket.
type envelopeFrame struct {
	EnvelopeID             string          `json:"envelope_id"`
	Type                   string          `json:"type"`
	Payload                json.RawMessage `json:"payload"`
	AcceptsResponsePayload bool            `json:"accepts_response_payload"`
	RetryAttempt           int             `json:"retry_attempt"`
	RetryReason            string          `json:"retry_reason"`
}

// enqueue registers an envelope and sends it, or queues it until a client
// connects.
func (s *Server) enqueue(typ string, payload json.RawMessage, accepts bool, respondTo string) (*envelope, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	e := &envelope{
		id: envelopeID(), typ: typ, payload: payload, accepts: accepts, respondTo: respondTo,
		ackedCh: make(chan struct{}), failedCh: make(chan struct{}),
	}
	s.envelopes[e.id] = e
	s.envOrder = append(s.envOrder, e.id)
	s.mu.Unlock()
	s.deliver(e)
	return e, nil
}

// deliver writes the envelope to one connection (round robin, as Slack
// spreads envelopes over an app's connections) and arms the ack timer.
func (s *Server) deliver(e *envelope) {
	s.mu.Lock()
	if s.closed || e.acked || e.gaveUp {
		s.mu.Unlock()
		return
	}
	if len(s.conns) == 0 {
		s.queue = append(s.queue, e)
		s.mu.Unlock()
		return
	}
	c := s.conns[s.rr%len(s.conns)]
	s.rr++
	e.deliveries++
	frame := envelopeFrame{
		EnvelopeID: e.id, Type: e.typ, Payload: e.payload,
		AcceptsResponsePayload: e.accepts, RetryAttempt: e.attempt, RetryReason: e.reason,
	}
	attempt := e.attempt
	e.timer = time.AfterFunc(s.opts.AckTimeout, func() { s.ackTimedOut(e, attempt) })
	s.mu.Unlock()
	if err := c.write(frame); err != nil {
		// The connection is gone; the ack timer re-sends on another one.
		s.dropConn(c)
	}
}

// ackTimedOut re-sends an unacknowledged envelope with retry_attempt+1 and
// retry_reason "timeout", up to MaxRetries times, as Slack does.
func (s *Server) ackTimedOut(e *envelope, attempt int) {
	s.mu.Lock()
	if s.closed || e.acked || e.attempt != attempt {
		s.mu.Unlock()
		return
	}
	if e.attempt >= s.opts.MaxRetries {
		e.gaveUp = true
		close(e.failedCh)
		s.mu.Unlock()
		s.log.Warn("sandbox slack: envelope never acknowledged", "envelope", e.id, "type", e.typ)
		return
	}
	e.attempt++
	e.reason = "timeout"
	s.mu.Unlock()
	s.deliver(e)
}

// ack records an acknowledgement. The first one settles the envelope; for
// a slash command its payload is the command's response, as Slack treats
// the body of an HTTP reply.
func (s *Server) ack(id string, payload json.RawMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := Ack{EnvelopeID: id, Payload: slices.Clone(payload), At: s.opts.Now()}
	e := s.envelopes[id]
	if e == nil {
		s.acks = append(s.acks, a)
		s.log.Warn("sandbox slack: ack for an unknown envelope", "envelope", id)
		return
	}
	a.Type, a.RetryAttempt = e.typ, e.attempt
	s.acks = append(s.acks, a)
	if e.acked {
		return
	}
	e.acked = true
	e.stopTimer()
	close(e.ackedCh)
	s.queue = slices.DeleteFunc(s.queue, func(q *envelope) bool { return q == e })
	if e.accepts && !e.gaveUp && hasPayload(payload) {
		if err := s.respondLocked(e.respondTo, payload, "ack"); err != nil {
			s.log.Warn("sandbox slack: ack payload not usable as a response", "envelope", id, "err", err)
		}
	}
}

func hasPayload(p json.RawMessage) bool {
	return len(p) > 0 && string(p) != "null" && string(p) != "{}"
}

// waitAck blocks until the envelope is acknowledged, given up on, ctx ends
// or the sandbox closes.
func (s *Server) waitAck(ctx context.Context, e *envelope) error {
	select {
	case <-e.ackedCh:
		return nil
	case <-e.failedCh:
		return fmt.Errorf("sandbox slack: %s envelope %s not acknowledged after %d deliveries", e.typ, e.id, s.opts.MaxRetries+1)
	case <-ctx.Done():
		return fmt.Errorf("sandbox slack: waiting for the ack of %s envelope %s: %w", e.typ, e.id, ctx.Err())
	case <-s.done:
		return ErrClosed
	}
}

// SendEnvelope sends any envelope (e.g. an events_api one) and waits for
// its ack like SlashCommand does. It returns the envelope id.
func (s *Server) SendEnvelope(ctx context.Context, typ string, payload json.RawMessage) (string, error) {
	e, err := s.enqueue(typ, payload, false, "")
	if err != nil {
		return "", err
	}
	return e.id, s.waitAck(ctx, e)
}

// Envelopes returns every envelope sent so far, oldest first.
func (s *Server) Envelopes() []Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Envelope, 0, len(s.envOrder))
	for _, id := range s.envOrder {
		e := s.envelopes[id]
		out = append(out, Envelope{
			ID: e.id, Type: e.typ, Payload: slices.Clone(e.payload), RetryAttempt: e.attempt,
			Deliveries: e.deliveries, Acked: e.acked, GaveUp: e.gaveUp,
		})
	}
	return out
}

// Pending returns the envelopes still waiting for an ack (queued or sent).
func (s *Server) Pending() []Envelope {
	return slices.DeleteFunc(s.Envelopes(), func(e Envelope) bool { return e.Acked || e.GaveUp })
}

// Acks returns every acknowledgement received, duplicates included.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Ack, len(s.acks))
	for i, a := range s.acks {
		out[i] = a
		out[i].Payload = slices.Clone(a.Payload)
	}
	return out
}
