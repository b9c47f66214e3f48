// Package fakes holds the test doubles shared by the end-to-end tests: a
// chat that records what it is shown. The fake clock is testkit.Clock, so
// packages below runbooks can use it too.
package fakes

import (
	"context"
	"fmt"
	"sync"

	"github.com/patchgate/patchgate/runbooks"
)

// Chat records what the engine shows people. Like a real adapter it
// de-duplicates events on (cycle, seq), since delivery is at least once, and
// it counts redeliveries so a test can see them.
type Chat struct {
	mu         sync.Mutex
	events     map[string][]runbooks.Event
	seen       map[string]bool
	Redelivery int
	Updates    int
	// Fail makes CycleChanged return an error while set.
	Fail bool

	preflights []runbooks.PreflightReport
}

var (
	_ runbooks.Chat          = (*Chat)(nil)
	_ runbooks.PreflightChat = (*Chat)(nil)
)

// NewChat returns an empty recorder.
func NewChat() *Chat {
	return &Chat{events: map[string][]runbooks.Event{}, seen: map[string]bool{}}
}

// CycleChanged records new events.
func (c *Chat) CycleChanged(_ context.Context, cy *runbooks.Cycle, events []runbooks.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Fail {
		return fmt.Errorf("chat unavailable")
	}
	c.Updates++
	for _, ev := range events {
		k := fmt.Sprintf("%s/%d", cy.ID, ev.Seq)
		if c.seen[k] {
			c.Redelivery++
			continue
		}
		c.seen[k] = true
		c.events[cy.ID] = append(c.events[cy.ID], ev)
	}
	return nil
}

// Events returns the distinct events shown for a cycle, in arrival order.
func (c *Chat) Events(cycle string) []runbooks.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]runbooks.Event(nil), c.events[cycle]...)
}

// PreflightPosted records a scheduled preflight's report.
func (c *Chat) PreflightPosted(_ context.Context, r runbooks.PreflightReport) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.preflights = append(c.preflights, r)
	return nil
}

// Preflights returns the preflight reports posted, in order.
func (c *Chat) Preflights() []runbooks.PreflightReport {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]runbooks.PreflightReport(nil), c.preflights...)
}
