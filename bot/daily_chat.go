package bot

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/internal/ctxsleep"
	"github.com/patchgate/patchgate/runbooks/daily"
	"github.com/patchgate/patchgate/runbooks/drift"
	"github.com/patchgate/patchgate/runbooks/saml"
)

// DailyChat posts the daily checks' messages (SAML runbooks, the drift
// digest, the status and posture digests) to the cycles channel. These are a few messages a day, so it calls
// the Web API directly, retrying what Slack says is transient (honouring
// Retry-After), rather than going through the per-cycle notifier.
type DailyChat struct {
	api     API
	channel string
	log     *slog.Logger
	retry   retryPolicy
	// Tenants maps tenant names to display names (TenantNames) for the
	// posture digest; a tenant missing from it is shown by its name.
	Tenants map[string]string
}

var (
	_ saml.Chat  = (*DailyChat)(nil)
	_ drift.Chat = (*DailyChat)(nil)
	_ daily.Chat = (*DailyChat)(nil)
)

// NewDailyChat posts to channel through api.
func NewDailyChat(api API, channel string, log *slog.Logger) *DailyChat {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &DailyChat{api: api, channel: channel, log: log, retry: defaultRetry}
}

// maxDailyAttempts bounds retries of one call.
const maxDailyAttempts = 5

// call runs do, retrying transient failures.
func (c *DailyChat) call(ctx context.Context, what string, do func(ctx context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := do(ctx)
		if err == nil {
			return nil
		}
		wait, ok := c.retry.after(err, attempt)
		if !ok || attempt+1 >= maxDailyAttempts {
			return fmt.Errorf("%s: %s", what, safeErr(err))
		}
		c.log.Warn("slack call failed; retrying", "what", what, "wait", wait, "err", safeErr(err))
		if err := ctxsleep.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

func (c *DailyChat) post(ctx context.Context, what string, m message) (msgRef, error) {
	var ref msgRef
	err := c.call(ctx, what, func(ctx context.Context) error {
		ch, ts, err := c.api.PostMessageContext(ctx, c.channel, m.options()...)
		ref = msgRef{Channel: ch, TS: ts}
		return err
	})
	return ref, err
}

// PostRunbook implements saml.Chat.
func (c *DailyChat) PostRunbook(ctx context.Context, r *saml.Record) (saml.Ref, error) {
	ref, err := c.post(ctx, "post the SAML runbook", samlMessage(r))
	return saml.Ref{Channel: ref.Channel, TS: ref.TS}, err
}

// UpdateRunbook implements saml.Chat.
func (c *DailyChat) UpdateRunbook(ctx context.Context, r *saml.Record) error {
	m := samlMessage(r)
	return c.call(ctx, "update the SAML runbook", func(ctx context.Context) error {
		_, _, _, err := c.api.UpdateMessageContext(ctx, r.Ref.Channel, r.Ref.TS, m.options()...)
		return err
	})
}

// AttachMOP implements saml.Chat: the MOP as a Markdown file in the thread.
func (c *DailyChat) AttachMOP(ctx context.Context, r *saml.Record, name string, md []byte) error {
	f := attachment{Name: name, Title: "MOP: " + r.Procedure.Title, Content: md}
	return c.call(ctx, "attach the MOP", func(ctx context.Context) error {
		return upload(ctx, c.api, msgRef{Channel: r.Ref.Channel, TS: r.Ref.TS}, f)
	})
}

// PostDigest implements drift.Chat. Items beyond what the message can carry
// with buttons are in the text digest attached in its thread.
func (c *DailyChat) PostDigest(ctx context.Context, d drift.Digest) error {
	m, more := driftMessage(d)
	ref, err := c.post(ctx, "post the drift digest", m)
	if err != nil || !more {
		return err
	}
	f := attachment{Name: "drift-" + d.At.UTC().Format("2006-01-02") + ".txt", Title: "Full drift digest", Content: []byte(drift.FormatText(d))}
	return c.call(ctx, "attach the drift digest", func(ctx context.Context) error { return upload(ctx, c.api, ref, f) })
}

// PostStatusDigest posts the active cycles with their stage and status,
// and the freezes.
func (c *DailyChat) PostStatusDigest(ctx context.Context, v daily.StatusView) error {
	_, err := c.post(ctx, "post the status digest", statusDigestMessage(v))
	return err
}

// PostPosture implements daily.Chat: the compliance posture across tenants.
func (c *DailyChat) PostPosture(ctx context.Context, p daily.Posture) error {
	text, blocks := PostureBlocks(p, c.Tenants)
	_, err := c.post(ctx, "post the posture digest", message{Text: text, Blocks: slack.Blocks{BlockSet: blocks}})
	return err
}
