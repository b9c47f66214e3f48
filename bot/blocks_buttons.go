package bot

import (
	"fmt"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/slack-go/slack"
)

// actionsBlockID names the block holding a cycle message's buttons.
const actionsBlockID = "patchgate.actions"

// rootActions are the buttons valid for the cycle as rendered, or nil:
// awaiting approval → Approve, Reject; a failed stage → Retry, Proceed
// without its hosts (when it named any), Reject; running → Halt; halted by
// a person → Resume; finished → none. Each carries the cycle's Revision, so
// a click on an outdated message is refused.
func rootActions(c *runbooks.Cycle, v rootView) *slack.ActionBlock {
	if runbooks.IsRollbackID(c.ID) || runbooks.IsSensorDeployID(c.ID) {
		return rollbackActions(c)
	}
	if runbooks.IsPreventionID(c.ID) {
		return preventionActions(c)
	}
	if runbooks.IsRemediationID(c.ID) {
		return remediationActions(c)
	}
	if c.Status.Terminal() {
		return nil
	}
	cur := currentStage(c)
	if cur == nil {
		return nil
	}
	b := func(a runbooks.DecisionAction, stage, label string, style slack.Style) *slack.ButtonBlockElement {
		val := EncodeButtonValue(ButtonValue{Cycle: c.ID, Stage: stage, Action: a, Revision: c.Revision})
		e := slack.NewButtonBlockElement(ActionID(a), val, plain(label))
		if style != "" {
			e = e.WithStyle(style)
		}
		return e
	}
	var buttons []slack.BlockElement
	switch f := failedStage(c); {
	case f != nil:
		buttons = append(buttons, b(runbooks.Retry, f.Name, "Retry "+f.Name, slack.StylePrimary))
		if f.Failure != nil && len(f.Failure.Findings) > 0 {
			n := len(f.Failure.Findings)
			buttons = append(buttons, b(runbooks.Exclude, f.Name, fmt.Sprintf("Proceed without %s", nHosts(n)), "").
				WithConfirm(confirm(fmt.Sprintf("Proceed without %s?", nHosts(n)),
					fmt.Sprintf("They are left out of the rest of this cycle and listed as excluded in its report. *%s* goes on with the others.", esc(f.Name)),
					"Proceed", "")))
		}
		if ok, n := runbooks.RollbackOffered(c, f); ok {
			buttons = append(buttons, rollbackButton(b(runbooks.RollBack, f.Name, rollbackLabel(n), ""), f, n))
		}
		buttons = append(buttons, rejectButton(b(runbooks.Reject, f.Name, "Reject", slack.StyleDanger), c, v))
	case c.Status == runbooks.StatusHalted:
		buttons = append(buttons, b(runbooks.Resume, cur.Name, "Resume", slack.StylePrimary))
	case cur.Phase == runbooks.PhaseApproval:
		buttons = append(buttons, b(runbooks.Approve, cur.Name, "Approve "+cur.Name, slack.StylePrimary),
			rejectButton(b(runbooks.Reject, cur.Name, "Reject", slack.StyleDanger), c, v))
	default:
		buttons = append(buttons, b(runbooks.HaltCycle, cur.Name, "Halt", slack.StyleDanger).
			WithConfirm(confirm("Halt this cycle?",
				"Operations already sent finish; nothing new starts until someone resumes the cycle.", "Halt", slack.StyleDanger)))
	}
	return slack.NewActionBlock(actionsBlockID, buttons...)
}

func rejectButton(e *slack.ButtonBlockElement, c *runbooks.Cycle, v rootView) *slack.ButtonBlockElement {
	return e.WithConfirm(confirm("Reject this cycle?",
		fmt.Sprintf("This closes cycle `%s` for %s; nothing more of it will be patched.", esc(c.ID), esc(v.Tenant)),
		"Reject", slack.StyleDanger))
}

func confirm(title, text, ok string, style slack.Style) *slack.ConfirmationBlockObject {
	cf := slack.NewConfirmationBlockObject(plain(title), mrkdwn(text), plain(ok), plain("Cancel"))
	if style != "" {
		cf = cf.WithStyle(style)
	}
	return cf
}
