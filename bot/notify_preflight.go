package bot

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/slack-go/slack"
)

var _ runbooks.PreflightChat = (*Notifier)(nil)

// PreflightPosted posts a scheduled preflight's report to the cycles
// channel, behind whatever that channel already has queued; the scheduler
// fires it once across replicas, so it is posted once.
func (n *Notifier) PreflightPosted(ctx context.Context, r runbooks.PreflightReport) error {
	if n.opts.Channel == "" {
		return nil
	}
	text := "*Pre-cycle preflight* — " + r.Summary() + "\n```\n" + r.Text() + "\n```"
	return n.poster.post(ctx, n.opts.Channel, "post the preflight of "+r.Tenant, func(ctx context.Context) error {
		_, _, err := n.api.PostMessageContext(ctx, n.opts.Channel, slack.MsgOptionText(text, false))
		return err
	})
}
