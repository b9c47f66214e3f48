package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/slack-go/slack"
)

// maxCardInstances bounds the instance lines on a card; the CLI's
// `patchgate remediation show` lists every one.
const maxCardInstances = 15

// remediationActions are a card's buttons: Approve while it awaits
// approval, Retry after it failed, and Dismiss…, which opens a modal for
// the reason a button cannot carry (dismiss_modal.go); the card also names
// the command (remediationLines).
func remediationActions(c *runbooks.Cycle) *slack.ActionBlock {
	if c.Status.Terminal() || len(c.Stages) == 0 {
		return nil
	}
	s := c.Stages[0]
	b := func(a runbooks.DecisionAction, label string) slack.BlockElement {
		return slack.NewButtonBlockElement(ActionID(a), EncodeButtonValue(ButtonValue{Cycle: c.ID, Stage: s.Name, Action: a, Revision: c.Revision}), plain(label)).WithStyle(slack.StylePrimary)
	}
	dismiss := slack.NewButtonBlockElement(ActionID(runbooks.Dismiss),
		EncodeButtonValue(ButtonValue{Cycle: c.ID, Stage: s.Name, Action: runbooks.Dismiss, Revision: c.Revision}), plain("Dismiss…"))
	switch s.Phase {
	case runbooks.PhaseApproval:
		return slack.NewActionBlock(actionsBlockID, b(runbooks.Approve, "Approve remediation"), dismiss)
	case runbooks.PhaseFailed:
		return slack.NewActionBlock(actionsBlockID, b(runbooks.Retry, "Retry remediation"), dismiss)
	}
	return nil
}

// remediationLines are the card's own lines: the environment's policy,
// each instance with its non-compliant rules and for how long, and how to
// dismiss it.
func remediationLines(r *runbooks.Remediation, now time.Time) []string {
	policy := fmt.Sprintf("📋 *%s* policy: %d approval(s)", esc(r.Env), r.MinApprovals)
	if r.FourEyes {
		policy += ", four eyes"
	}
	if r.Production {
		policy += ", production"
	}
	if r.AutoRemediate {
		policy += ", auto_remediate (approved by patchgate, audited)"
	} else {
		policy += ", no auto_remediate"
	}
	lines := []string{policy}
	shown := r.Head(maxCardInstances)
	for _, in := range shown {
		name := in.Host.ID
		if in.Host.Name != "" && in.Host.Name != in.Host.ID {
			name = in.Host.Name + " (" + in.Host.ID + ")"
		}
		l := fmt.Sprintf("• *%s* %s: %s", esc(name), esc(in.Compliance), esc(clip(strings.Join(in.Rules, ", "), 300)))
		if in.Compliance != runbooks.Compliant {
			l += fmt.Sprintf(" — non-compliant for %s (since %s)", ago(now, in.Since), utc(in.Since))
		} else if in.CompliantSource != "" {
			l += " (source: " + esc(in.CompliantSource) + ")"
		}
		lines = append(lines, l)
	}
	if more := r.InstanceCount() - len(shown); more > 0 {
		lines = append(lines, fmt.Sprintf("… and %d more (`patchgate remediation show %s`)", more, esc(r.ID)))
	}
	if dismissable(r.Status) {
		lines = append(lines, fmt.Sprintf("To dismiss without patching: `/patch dismiss %s <reason…>`", esc(r.ID)))
	}
	if r.Status == runbooks.RemDismissed && r.Dismissal != "" {
		lines = append(lines, "Dismissed: "+esc(clip(r.Dismissal, 500)))
	}
	return lines
}

// dismissable mirrors the engine's rule: a remediation is dismissed
// before it starts patching or after it failed.
func dismissable(s runbooks.RemediationStatus) bool {
	switch s {
	case runbooks.RemCollecting, runbooks.RemAwaitingApproval, runbooks.RemApproved, runbooks.RemFailed:
		return true
	}
	return false
}

// ago is how long from since to now, to the minute.
func ago(now, since time.Time) string {
	d := now.Sub(since).Truncate(time.Minute)
	if d < time.Minute {
		return "under a minute"
	}
	return strings.TrimSuffix(d.String(), "0s")
}

// remediationNotable: remediation events worth a thread message.
func remediationNotable(ev runbooks.Event) bool {
	return strings.HasPrefix(ev.Type, "remediation.")
}

// remediationEventLine is a remediation event's thread line, "" for others.
func remediationEventLine(ev runbooks.Event) string {
	who, detail := userLink(ev.Actor), esc(clip(ev.Detail, 500))
	host := ""
	if h := ev.Data["host"]; h != "" {
		host = "*" + esc(h) + "* "
	}
	switch ev.Type {
	case runbooks.EvRemediationOpened:
		return "🩹 " + host + detail
	case runbooks.EvRemediationEvent, runbooks.EvRemediationGathered:
		return "📥 " + host + detail
	case runbooks.EvRemediationCard:
		return "🗂️ " + detail
	case runbooks.EvRemediationAuto:
		return "🤖 " + detail
	case runbooks.EvRemediationDismissed:
		return fmt.Sprintf("🚫 %s %s", who, detail)
	case runbooks.EvRemediationRetry:
		return fmt.Sprintf("🔁 %s retried the remediation: %s", who, detail)
	case runbooks.EvRemediationFailed:
		return "❌ Remediation failed: " + detail
	case runbooks.EvRemediationEvaluate:
		return "🔎 " + detail
	case runbooks.EvRemediationResolved:
		return "🎉 " + host + detail
	case runbooks.EvRemediationNotComp, runbooks.EvRemediationUnverify:
		return "⚠️ " + host + detail
	}
	return ""
}
