package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// demoPeople plays the humans of the demo: they approve what waits, try
// what the policy must refuse, and repair what a gate caught.
type demoPeople struct {
	e     *runbooks.Engine
	fleet *sim.Fleet
	out   io.Writer
	seen  map[string]bool // scripted moves already made
	given []string        // cycles left halted for a person to investigate
}

// run acts on the cycles until none is active.
func (p *demoPeople) run(ctx context.Context) error {
	for {
		active, err := p.e.Active(ctx)
		if err != nil {
			return err
		}
		if len(active) <= len(p.given) {
			return nil // finished, or left for investigation
		}
		for _, c := range active {
			p.act(ctx, c)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("demo did not finish: %w", ctx.Err())
		case <-time.After(150 * time.Millisecond):
		}
	}
}

func (p *demoPeople) act(ctx context.Context, c *runbooks.Cycle) {
	i := c.Current()
	if i < 0 {
		return
	}
	s := c.Stages[i]
	switch {
	case s.Phase == runbooks.PhaseFailed && s.Incident.Triggered:
		p.repair(ctx, c, s)
	case c.Status == runbooks.StatusRunning && s.Phase == runbooks.PhaseApproval:
		p.approve(ctx, c, s)
	}
}

// repair handles a failed gate the way an SRE would. A move is remembered
// only once it took effect, so a click refused because the cycle moved
// meanwhile is simply made again on the next look.
func (p *demoPeople) repair(ctx context.Context, c *runbooks.Cycle, s runbooks.Stage) {
	key := fmt.Sprintf("%s/%s/%d", c.ID, s.Name, s.Attempt)
	if p.seen[key] {
		return
	}
	if !p.seen[key+"/outsider"] {
		p.seen[key+"/outsider"] = true
		p.decide(ctx, c, s.Name, runbooks.Retry, demoOutsider, "tries Retry")
	}
	var err error
	switch {
	case s.Failure.Phase == runbooks.PhaseInventory:
		err = p.decide(ctx, c, s.Name, runbooks.Exclude, demoSRE, "opens a ticket to re-register the agents and proceeds without them")
	case s.Failure.Phase == runbooks.PhaseSensors:
		for _, f := range s.Failure.Findings {
			if ferr := p.fleet.FixHost(f.HostID); ferr == nil {
				p.say("@%s upgrades the Falcon sensor on %s", demoSRE, f.HostName)
			}
		}
		err = p.decide(ctx, c, s.Name, runbooks.Retry, demoSRE, "retries the sensor gate")
	case s.Attempt < 2:
		err = p.decide(ctx, c, s.Name, runbooks.Retry, demoSRE, "retries after: "+s.Failure.Reason)
	default:
		p.say("@%s leaves %s %s halted for investigation: %s", demoSRE, c.Tenant, s.Name, s.Failure.Reason)
		p.given = append(p.given, c.ID)
	}
	if err == nil {
		p.seen[key] = true
	}
}

// approve clicks Approve, after the refusals the policy must produce.
func (p *demoPeople) approve(ctx context.Context, c *runbooks.Cycle, s runbooks.Stage) {
	if s.MinApprovals < 2 {
		p.decide(ctx, c, s.Name, runbooks.Approve, demoSRE, "approves")
		return
	}
	if !p.seen[c.ID+"/refusals"] {
		p.seen[c.ID+"/refusals"] = true
		p.decide(ctx, c, s.Name, runbooks.Approve, demoOutsider, "clicks Approve")
		p.decide(ctx, c, s.Name, runbooks.Approve, demoRequester, "(who requested the cycle) clicks Approve")
	}
	who := demoCAB1
	if s.ApprovedBy(demoCAB1) {
		who = demoCAB2
	}
	p.decide(ctx, c, s.Name, runbooks.Approve, who, "approves")
}

// decide clicks a button on the cycle as it is now and prints the reply.
func (p *demoPeople) decide(ctx context.Context, c *runbooks.Cycle, stage string, a runbooks.DecisionAction, who, doing string) error {
	cur, err := p.e.Get(ctx, c.ID)
	if err != nil {
		return err
	}
	out, err := p.e.Decide(ctx, runbooks.Decision{Cycle: c.ID, Stage: stage, Action: a, Actor: who,
		SeenVersion: cur.Revision, InteractionID: fmt.Sprintf("%s/%s/%s/%s/%d", c.ID, stage, a, who, cur.Revision)})
	switch {
	case err != nil:
		p.say("@%s %s (%s %s) → refused: %s", who, doing, c.Tenant, stage, runbooks.ErrorMessage(err))
	case !out.Duplicate:
		p.say("@%s %s (%s %s) → %s", who, doing, c.Tenant, stage, out.Message)
	}
	return err
}

func (p *demoPeople) say(format string, args ...any) {
	fmt.Fprintf(p.out, "  👤 "+format+"\n", args...)
}

// consoleChat prints each cycle event once, as the cycle's thread would
// show it.
type consoleChat struct {
	mu   sync.Mutex
	out  io.Writer
	seen map[string]bool
}

func newConsoleChat(out io.Writer) *consoleChat {
	return &consoleChat{out: out, seen: map[string]bool{}}
}

func (c *consoleChat) CycleChanged(_ context.Context, cy *runbooks.Cycle, events []runbooks.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range events {
		k := fmt.Sprintf("%s/%d", cy.ID, ev.Seq)
		if c.seen[k] {
			continue
		}
		c.seen[k] = true
		stage := ev.Stage
		if stage == "" {
			stage = "-"
		}
		fmt.Fprintf(c.out, "[%-10s] %-10s %-20s %s\n", cy.Tenant, stage, ev.Type, ev.Detail)
	}
	return nil
}

// demoSummary prints how each cycle ended and verifies the audit log.
func demoSummary(ctx context.Context, e *runbooks.Engine, st state.Store, fleet *sim.Fleet, out io.Writer) error {
	done, err := e.Finished(ctx)
	if err != nil {
		return err
	}
	left, err := e.Active(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "\nSummary")
	for _, c := range append(done, left...) {
		var approvals []string
		for _, s := range c.Stages {
			for _, a := range s.Approvals {
				approvals = append(approvals, s.Name+":"+a.By)
			}
		}
		report := "-"
		if c.Report != nil {
			report = c.Report.Location
		}
		fmt.Fprintf(out, "  %s %s: %d hosts, %d excluded; approvals %v\n    evidence %s\n",
			c.ID, c.Status, c.Scope.Hosts, c.Scope.Excluded, approvals, report)
	}
	stats := fleet.Stats()
	fmt.Fprintf(out, "  backups started %d, patches started %d, duplicates %d, incidents opened %d\n",
		stats.Backups.Starts, stats.Patches.Starts, stats.Backups.Duplicates+stats.Patches.Duplicates, stats.IncidentsOpened)
	return verifyAudit(ctx, st, out)
}
