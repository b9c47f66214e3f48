package bot

import (
	"fmt"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/slack-go/slack"
)

// rollbackLabel is the "Roll back N hosts" button's label (n 0: every
// host of the environment, the failure named none).
func rollbackLabel(n int) string {
	if n == 0 {
		return "Roll back all hosts"
	}
	return "Roll back " + nHosts(n)
}

// rollbackButton asks before requesting: the click only opens a rollback,
// which the environment's approvers must still approve.
func rollbackButton(e *slack.ButtonBlockElement, s *runbooks.Stage, n int) *slack.ButtonBlockElement {
	what := "the " + nHosts(n) + " at fault"
	if n == 0 {
		what = "every host of " + esc(s.Env) + " this cycle backed up"
	}
	return e.WithConfirm(confirm("Request a rollback?",
		fmt.Sprintf("This requests a rollback of %s to this cycle's pre-patch backups. The reply lists each host's backup; %s's approvers approve it on its own message before anything is restored.", what, esc(s.Env)),
		"Request rollback", ""))
}
