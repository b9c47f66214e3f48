package bot

import (
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/slack-go/slack"
)

// preventionActions are a rollout message's buttons: Approve and Reject
// while it awaits approval, Retry and Reject while blocked or failed.
func preventionActions(c *runbooks.Cycle) *slack.ActionBlock {
	if c.Status.Terminal() || len(c.Stages) == 0 {
		return nil
	}
	s := c.Stages[0]
	b := func(a runbooks.DecisionAction, label string, style slack.Style) slack.BlockElement {
		return slack.NewButtonBlockElement(ActionID(a), EncodeButtonValue(ButtonValue{Cycle: c.ID, Stage: s.Name, Action: a, Revision: c.Revision}), plain(label)).WithStyle(style)
	}
	switch s.Phase {
	case runbooks.PhaseApproval:
		return slack.NewActionBlock(actionsBlockID, b(runbooks.Approve, "Approve", slack.StylePrimary), b(runbooks.Reject, "Reject", slack.StyleDanger))
	case runbooks.PhaseFailed:
		return slack.NewActionBlock(actionsBlockID, b(runbooks.Retry, "Retry", slack.StylePrimary), b(runbooks.Reject, "Reject", slack.StyleDanger))
	}
	return nil
}

// preventionNotable: rollout events worth a thread message of their own.
func preventionNotable(ev runbooks.Event) bool {
	return strings.HasPrefix(ev.Type, "prevention.")
}

// preventionEventLine is a rollout event's thread line, "" for others.
func preventionEventLine(ev runbooks.Event) string {
	who, detail := userLink(ev.Actor), esc(clip(ev.Detail, 500))
	src := ""
	if s := ev.Data["source"]; s != "" {
		src = " (source: " + esc(s) + ")"
	}
	switch ev.Type {
	case runbooks.EvPreventionRequested:
		return fmt.Sprintf("🛡️ %s requested %s", who, detail)
	case runbooks.EvPreventionBlocked:
		l := "⛔ Blocked: required exclusions missing" + src + ":"
		for _, m := range strings.Split(ev.Data["missing"], "\n") {
			l += "\n• " + esc(clip(m, 200))
		}
		return l + "\nCreate them in Falcon, then press *Retry*."
	case runbooks.EvPreventionExclusions:
		return "✅ " + detail + src
	case runbooks.EvPreventionAssigned:
		return "🔀 " + detail + src
	case runbooks.EvPreventionCheck:
		return "🔎 Detections " + detail + src
	case runbooks.EvPreventionPassed:
		return "🎉 " + detail + src
	case runbooks.EvPreventionGateFailed:
		return "❌ " + detail + src
	case runbooks.EvPreventionRolledBack:
		return "↩️ " + detail + src
	case runbooks.EvPreventionRetry:
		return fmt.Sprintf("🔁 %s retried the rollout: %s", who, detail)
	case runbooks.EvPreventionRejected:
		return fmt.Sprintf("⛔ %s rejected the rollout", who)
	case runbooks.EvPreventionFailed:
		return "❌ Rollout failed: " + detail
	}
	return ""
}

func joinComma(s []string) string { return strings.Join(s, ", ") }
