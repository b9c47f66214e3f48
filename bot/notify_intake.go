package bot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/internal/ctxsleep"
	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.IntakeChat = (*Notifier)(nil)

// UnknownInstance posts, in the cycles channel, a compliance event for an
// instance no tenant owns: people must place it (tag it, or add its
// account to a tenant), since no remediation will start for it. The engine
// calls this once per event.
func (n *Notifier) UnknownInstance(ctx context.Context, ev runbooks.ComplianceEvent, reason string) error {
	text := fmt.Sprintf(":grey_question: AWS Config reports instance `%s` (account %s, %s) %s under `%s`, but no tenant owns it: %s. "+
		"Recorded on audit/intake (event %s, via %s); no remediation starts until it is tagged for an environment.",
		ev.InstanceID, ev.Account, ev.Region, ev.Compliance, ev.Rule, reason, ev.ID, ev.Source)
	return n.postNotice(ctx, "post the unknown instance notice", text)
}

// IntakeRefused posts a message the intake refused and left for the
// queue's dead-letter queue. It names the message, never its body.
func (n *Notifier) IntakeRefused(ctx context.Context, r runbooks.IntakeRefusal) error {
	text := fmt.Sprintf(":warning: The remediation intake refused message `%s` from %s: %s. "+
		"It was not deleted; the queue's redrive policy moves it to the dead-letter queue.", r.MessageID, r.Source, r.Reason)
	return n.postNotice(ctx, "post the intake refusal notice", text)
}

// maxNoticeAttempts bounds the retries of one notice.
const maxNoticeAttempts = 5

func (n *Notifier) postNotice(ctx context.Context, what, text string) error {
	for attempt := 0; ; attempt++ {
		_, _, err := n.api.PostMessageContext(ctx, n.opts.Channel, slack.MsgOptionText(text, false))
		if err == nil {
			return nil
		}
		wait, ok := defaultRetry.after(err, attempt)
		if !ok || attempt+1 >= maxNoticeAttempts {
			return fmt.Errorf("%s: %s", what, safeErr(err))
		}
		if err := ctxsleep.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}
