package bot

import (
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/slack-go/slack"
)

// rootTitle heads a runbook's root message.
func rootTitle(c *runbooks.Cycle) string {
	switch {
	case runbooks.IsRollbackID(c.ID):
		return "Rollback"
	case runbooks.IsSensorDeployID(c.ID):
		return "Sensor deployment"
	}
	if runbooks.IsPreventionID(c.ID) {
		return "Prevention rollout"
	}
	if runbooks.IsRemediationID(c.ID) {
		return "Remediation"
	}
	if c.Emergency != nil {
		return "EMERGENCY change"
	}
	return "Patch cycle"
}

// rollbackActions are a rollback message's buttons: Approve and Reject
// while it awaits approval, Retry and Reject after it failed, a "Done"
// per host whose manual procedure waits; none while it restores.
func rollbackActions(c *runbooks.Cycle) *slack.ActionBlock {
	if c.Status.Terminal() || len(c.Stages) == 0 {
		return nil
	}
	s := c.Stages[0]
	b := func(a runbooks.DecisionAction, stage, label string, style slack.Style) *slack.ButtonBlockElement {
		e := slack.NewButtonBlockElement(ActionID(a), EncodeButtonValue(ButtonValue{Cycle: c.ID, Stage: stage, Action: a, Revision: c.Revision}), plain(label))
		if style != "" {
			e = e.WithStyle(style)
		}
		return e
	}
	word := "rollback"
	if runbooks.IsSensorDeployID(c.ID) {
		word = "deployment"
	}
	var buttons []slack.BlockElement
	switch s.Phase {
	case runbooks.PhaseApproval:
		buttons = append(buttons, b(runbooks.Approve, s.Name, "Approve "+word, slack.StylePrimary),
			b(runbooks.Reject, s.Name, "Reject", slack.StyleDanger))
	case runbooks.PhaseFailed:
		buttons = append(buttons, b(runbooks.Retry, s.Name, "Retry "+word, slack.StylePrimary),
			b(runbooks.Reject, s.Name, "Reject", slack.StyleDanger))
	}
	for i, h := range s.Exclusions {
		if i == 5 {
			break // Slack allows 25 elements; a person confirms the rest from the CLI
		}
		buttons = append(buttons, b(runbooks.ConfirmManual, h.HostID, "Done: "+clip(h.HostName, 40), "").
			WithConfirm(confirm("Manual procedure done?", fmt.Sprintf("Confirm that every step of %s's procedure in the thread is done.", esc(h.HostName)), "Done", "")))
	}
	if len(buttons) == 0 {
		return nil
	}
	return slack.NewActionBlock(actionsBlockID, buttons...)
}

// rollbackNotable: rollback events worth a thread message of their own.
func rollbackNotable(ev runbooks.Event) bool {
	switch ev.Type {
	case runbooks.EvRollbackRequested, runbooks.EvRestoreManual, runbooks.EvRestoreDone,
		runbooks.EvRollbackFailed, runbooks.EvRollbackCompleted, runbooks.EvRollbackRejected, runbooks.EvRollbackRetry:
		return true
	}
	return false
}

// rollbackEventLine is a rollback event's thread line, "" for others.
func rollbackEventLine(ev runbooks.Event) string {
	who, detail, host := userLink(ev.Actor), esc(clip(ev.Detail, 500)), "*"+esc(ev.Data["host"])+"*"
	switch ev.Type {
	case runbooks.EvRollbackRequested:
		l := fmt.Sprintf("↩️ %s requested a %s", who, detail)
		for _, b := range strings.Split(ev.Data["backups"], "\n") {
			if b != "" {
				l += "\n• " + esc(clip(b, 300))
			}
		}
		return l
	case runbooks.EvRestoreStarted, runbooks.EvRestoreStep:
		return fmt.Sprintf("🔄 %s: %s (`%s`)", host, esc(ev.Data["step"]), esc(clip(ev.Data["handle"], 80)))
	case runbooks.EvRestoreManual:
		l := fmt.Sprintf("📝 %s needs a manual procedure (no API restores it in place); confirm with *Done* when finished:", host)
		for i, st := range strings.Split(ev.Data["steps"], "\n") {
			l += fmt.Sprintf("\n%d. %s", i+1, esc(clip(st, 300)))
		}
		return l
	case runbooks.EvRestoreConfirmed:
		return fmt.Sprintf("☑️ %s confirmed %s's manual procedure done", who, host)
	case runbooks.EvRestoreDone:
		return fmt.Sprintf("✅ %s %s", host, detail)
	case runbooks.EvRestoresDone:
		return "🔎 " + detail
	case runbooks.EvRollbackFailed:
		return "❌ Rollback failed: " + detail
	case runbooks.EvRollbackRetry:
		return fmt.Sprintf("🔁 %s retried the rollback: %s", who, detail)
	case runbooks.EvRollbackRejected:
		return fmt.Sprintf("⛔ %s rejected the rollback", who)
	case runbooks.EvRollbackCompleted:
		return "🎉 Rollback completed: " + detail
	}
	return ""
}
