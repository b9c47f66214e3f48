package bot

import (
	"fmt"

	"github.com/patchgate/patchgate/runbooks"
)

// The cycle's change record (ServiceNow, Jira) in Slack: its number, linked,
// and state as a field of the root message; a failing platform call or a
// stage held for its approval among the root's details; and the record's
// creation, approval, closing and trouble in the thread.

// changeField is the root message's "Change" field, "" without a record.
func changeField(c *runbooks.Cycle) string {
	r := c.Change
	if r == nil {
		return ""
	}
	name := runbooks.PlatformName(r.Platform)
	if r.Number == "" {
		return name + ": not created yet"
	}
	num := "`" + esc(r.Number) + "`"
	if r.URL != "" {
		num = "<" + r.URL + "|" + esc(r.Number) + ">"
	}
	s := name + " " + num
	if r.Kind == runbooks.ChangeEmergency {
		s += " · emergency"
	}
	if r.PlatformState != "" {
		s += " · " + esc(r.PlatformState)
	}
	if r.Approval != "" {
		s += " · approval " + esc(r.Approval)
	}
	return s
}

// changeLines are the root's detail lines about the change record.
func changeLines(c *runbooks.Cycle) []string {
	var out []string
	if tr := c.ChangeTrouble(); tr != "" {
		out = append(out, "⚠️ "+esc(clip(tr, 300)))
	}
	if s := currentStage(c); s != nil && s.Phase == runbooks.PhasePending && s.RequireChangeApproval &&
		c.Change != nil && !c.Change.Approved && !c.Status.Terminal() {
		out = append(out, fmt.Sprintf("🗂 *%s* waits for %s to be approved in %s before it opens",
			esc(s.Name), esc(c.Change.Label()), runbooks.PlatformName(c.Change.Platform)))
	}
	return out
}

// changeNotable: the change events that get a thread line.
func changeNotable(typ string) bool {
	switch typ {
	case runbooks.EvChangeCreated, runbooks.EvChangeApproved, runbooks.EvChangeRejected,
		runbooks.EvChangeClosed, runbooks.EvChangeFailed:
		return true
	}
	return false
}

// changeEventLine is a change event's thread line.
func changeEventLine(ev runbooks.Event) string {
	num := ev.Data["number"]
	if u := ev.Data["url"]; u != "" && num != "" {
		num = "<" + u + "|" + esc(num) + ">"
	} else {
		num = "`" + esc(num) + "`"
	}
	platform := runbooks.PlatformName(ev.Data["platform"])
	switch ev.Type {
	case runbooks.EvChangeCreated:
		return fmt.Sprintf("🗂 %s %s change %s opened for this cycle", platform, esc(ev.Data["kind"]), num)
	case runbooks.EvChangeTransition:
		return fmt.Sprintf("🗂 Change %s: %s", num, esc(clip(ev.Detail, 300)))
	case runbooks.EvChangeApproved:
		return fmt.Sprintf("🗂 Change %s approved in %s", num, platform)
	case runbooks.EvChangeRejected:
		return fmt.Sprintf("⛔ Change %s rejected in %s", num, platform)
	case runbooks.EvChangeClosed:
		return fmt.Sprintf("🗂 Change %s closed: %s", num, esc(clip(ev.Detail, 300)))
	case runbooks.EvChangeFailed:
		return "⚠️ " + esc(clip(ev.Detail, 400))
	}
	return ""
}
