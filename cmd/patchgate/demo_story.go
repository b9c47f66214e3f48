package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/bot/sandbox"
	"github.com/patchgate/patchgate/runbooks"
)

// slackPeople play the demo story through the Slack sandbox, exactly as the
// people in the page would: slash commands and button clicks travel to the
// bot over Socket Mode, refusals come back as ephemeral replies. They read
// the engine only to know what to do next.
type slackPeople struct {
	sb   *sandbox.Server
	a    *app
	out  io.Writer
	seen map[string]bool // scripted moves already made
	read map[string]int  // ephemerals already printed, per user
}

var demoNames = map[string]string{
	demoRequester: "rita (requester)", demoSRE: "sam (SRE)", demoCAB1: "cara (CAB)",
	demoCAB2: "carl (CAB)", demoOutsider: "otto (outsider)",
}

// run starts a cycle per tenant, acts until every cycle is finished, then
// plays the episodes beyond the cycle and prints the summary.
func (p *slackPeople) run(ctx context.Context) error {
	for _, t := range p.a.engine.Tenants() {
		if err := p.command(ctx, demoRequester, "/patch start "+t.Name); err != nil {
			return err
		}
	}
	if err := p.drive(ctx); err != nil {
		return err
	}
	for _, episode := range p.episodes() {
		if err := episode(ctx); err != nil {
			return err
		}
	}
	return p.summary(ctx)
}

// drive acts on the active cycles until every one has finished.
func (p *slackPeople) drive(ctx context.Context) error {
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		active, err := p.a.engine.Active(ctx)
		if err != nil {
			return err
		}
		if len(active) == 0 {
			return nil
		}
		for _, c := range active {
			if err := p.act(ctx, c); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("demo story: the cycles did not finish in 10 minutes")
}

func (p *slackPeople) act(ctx context.Context, c *runbooks.Cycle) error {
	i := c.Current()
	if i < 0 {
		return nil
	}
	s := c.Stages[i]
	switch {
	case s.Phase == runbooks.PhaseFailed && s.Incident.Triggered:
		return p.repair(ctx, c, s)
	case c.Status == runbooks.StatusRunning && s.Phase == runbooks.PhaseApproval:
		return p.approve(ctx, c, s)
	}
	return nil
}

// repair handles a failed gate the way an SRE would.
func (p *slackPeople) repair(ctx context.Context, c *runbooks.Cycle, s runbooks.Stage) error {
	key := fmt.Sprintf("%s/%s/%d", c.ID, s.Name, s.Attempt)
	if p.seen[key] {
		return nil
	}
	if handled, err := p.rollBack(ctx, c, s); handled || err != nil {
		return err
	}
	if !p.seen[key+"/outsider"] {
		if ok, err := p.click(ctx, c, demoOutsider, s.Name, runbooks.Retry); !ok || err != nil {
			return err // the message is not showing the failure yet
		}
		p.seen[key+"/outsider"] = true
	}
	var (
		ok  bool
		err error
	)
	switch {
	case s.Failure.Phase == runbooks.PhaseInventory:
		ok, err = p.click(ctx, c, demoSRE, s.Name, runbooks.Exclude)
	case s.Failure.Phase == runbooks.PhaseSensors:
		for _, f := range s.Failure.Findings {
			if ferr := p.a.fleet.FixHost(f.HostID); ferr == nil {
				p.say("%s upgrades the Falcon sensor on %s", demoNames[demoSRE], f.HostName)
			}
		}
		ok, err = p.click(ctx, c, demoSRE, s.Name, runbooks.Retry)
	case s.Attempt < 2:
		ok, err = p.click(ctx, c, demoSRE, s.Name, runbooks.Retry)
	default:
		ok, err = p.click(ctx, c, demoSRE, s.Name, runbooks.Reject)
	}
	if ok && err == nil {
		p.seen[key] = true
	}
	return err
}

// approve clicks Approve, after the refusals the policy must produce.
func (p *slackPeople) approve(ctx context.Context, c *runbooks.Cycle, s runbooks.Stage) error {
	if s.MinApprovals < 2 {
		_, err := p.click(ctx, c, demoSRE, s.Name, runbooks.Approve)
		return err
	}
	if !p.seen[c.ID+"/refusals"] {
		if ok, err := p.click(ctx, c, demoOutsider, s.Name, runbooks.Approve); !ok || err != nil {
			return err
		}
		if _, err := p.click(ctx, c, demoRequester, s.Name, runbooks.Approve); err != nil {
			return err
		}
		p.seen[c.ID+"/refusals"] = true
		return nil // the refusals changed nothing; the message stays current
	}
	who := demoCAB1
	if s.ApprovedBy(demoCAB1) {
		who = demoCAB2
	}
	_, err := p.click(ctx, c, who, s.Name, runbooks.Approve)
	return err
}

// click presses the button for action on the cycle's root message, if the
// message shows it at the cycle's current revision (an outdated message
// would be refused; the bot refreshes it within a second). It prints the
// ephemeral reply the clicker got, if any.
func (p *slackPeople) click(ctx context.Context, c *runbooks.Cycle, who, stage string, action runbooks.DecisionAction) (bool, error) {
	ts, btn, ok := p.button(c, stage, action)
	if !ok {
		return false, nil
	}
	if err := p.sb.Click(ctx, who, demoChannel, ts, bot.ActionID(action), btn); err != nil {
		return false, fmt.Errorf("click %s as %s: %w", action, who, err)
	}
	reply := p.awaitEphemeral(ctx, who)
	p.say("%s clicks %s on %s %s → %s", demoNames[who], action, c.Tenant, stage, orDash(reply))
	return true, nil
}

// command runs a slash command as who and prints the reply.
func (p *slackPeople) command(ctx context.Context, who, text string) error {
	if err := p.sb.SlashCommand(ctx, who, demoChannel, text); err != nil {
		return fmt.Errorf("%s as %s: %w", text, who, err)
	}
	p.say("%s types %s → %s", demoNames[who], text, orDash(p.awaitEphemeral(ctx, who)))
	return nil
}

// button finds the cycle's root message and the button for action on
// stage, rendered from the cycle's current revision.
func (p *slackPeople) button(c *runbooks.Cycle, stage string, action runbooks.DecisionAction) (ts, value string, ok bool) {
	for _, m := range p.sb.Messages(demoChannel) {
		var blocks []struct {
			Type     string `json:"type"`
			Elements []struct {
				ActionID string `json:"action_id"`
				Value    string `json:"value"`
			} `json:"elements"`
		}
		if json.Unmarshal(m.Blocks, &blocks) != nil {
			continue
		}
		for _, b := range blocks {
			for _, el := range b.Elements {
				v, err := bot.DecodeButtonValue(el.Value)
				if err != nil || v.Cycle != c.ID {
					continue
				}
				if v.Stage == stage && v.Action == action && v.Revision == c.Revision {
					return m.TS, el.Value, true
				}
			}
		}
	}
	return "", "", false
}

// awaitEphemeral returns the first ephemeral reply to who not yet read.
// Every scripted command and click gets one; the wait is long because some
// replies come after real work (`/patch drift` runs terraform), which on a
// loaded machine takes seconds, and it ends as soon as the reply arrives.
func (p *slackPeople) awaitEphemeral(ctx context.Context, who string) string {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		if eph := p.sb.Ephemerals(who); len(eph) > p.read[who] {
			p.read[who] = len(eph)
			return strings.ReplaceAll(eph[len(eph)-1].Text, "\n", " ")
		}
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(50 * time.Millisecond):
		}
	}
	return ""
}

// summary prints how every cycle ended and what its thread holds, and
// verifies the audit log.
func (p *slackPeople) summary(ctx context.Context) error {
	done, err := p.a.engine.Finished(ctx)
	if err != nil {
		return err
	}
	files, pdfs, csvs := map[string]int{}, map[string]int{}, map[string]int{}
	for _, f := range p.sb.Files() {
		files[f.ThreadTS]++
		switch {
		case strings.HasSuffix(f.Name, ".pdf"):
			pdfs[f.ThreadTS]++
		case strings.HasSuffix(f.Name, ".csv"):
			csvs[f.ThreadTS]++
		}
	}
	roots := map[string]string{} // cycle → root ts
	for _, m := range p.sb.Messages(demoChannel) {
		for _, c := range done {
			if strings.Contains(m.Text, c.ID) {
				roots[c.ID] = m.TS
			}
		}
	}
	fmt.Fprintln(p.out, "\nSummary")
	for _, c := range done {
		var approvals []string
		for _, s := range c.Stages {
			for _, a := range s.Approvals {
				approvals = append(approvals, s.Name+":"+a.By)
			}
		}
		ts := roots[c.ID]
		fmt.Fprintf(p.out, "  %s %s: %d hosts, %d excluded; approvals %v; %d file(s) in its thread: %d PDF, %d CSV\n",
			c.ID, c.Status, c.Scope.Hosts, c.Scope.Excluded, approvals, files[ts], pdfs[ts], csvs[ts])
	}
	stats := p.a.fleet.Stats()
	fmt.Fprintf(p.out, "  backups started %d, patches started %d, duplicates %d, incidents opened %d\n",
		stats.Backups.Starts, stats.Patches.Starts, stats.Backups.Duplicates+stats.Patches.Duplicates, stats.IncidentsOpened)
	return verifyAudit(ctx, p.a.store, nil, nil, p.out)
}

func (p *slackPeople) say(format string, args ...any) {
	fmt.Fprintf(p.out, "  👤 "+format+"\n", args...)
}

func orDash(s string) string {
	if s == "" {
		return "(no reply)"
	}
	return s
}
