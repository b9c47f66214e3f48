package bot

import (
	"context"
	"errors"
	"strings"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/runbooks/sla"
)

// The SLA subcommands: posture and exceptions (runbooks/sla).
const (
	CmdPosture Subcommand = "posture"
	CmdExcept  Subcommand = "except"
)

const (
	slaPostureArgs    = "[tenant] | scan"
	slaPostureSummary = "patch SLA posture from the last daily scan: hosts within SLA, due within 7 days, overdue, excepted, unmanaged, and PCI DSS 6.3.3; `scan` scans now"
	slaExceptArgs     = "<tenant> <host:ID|patch:ID|CVE-ID> <YYYY-MM-DD> <reason…> control: <compensating control…> | approve <id> | reject <id> | list [tenant]"
	slaExceptSummary  = "request a risk-accepted exception from the SLA (a risk approver other than you approves it), decide one, or list them"
)

// SLACommands answers /patch posture and /patch except; the CLI calls the
// same methods (runbooks/sla.Service).
type SLACommands interface {
	Posture(ctx context.Context, args []string) (string, error)
	Except(ctx context.Context, args []string, actor string) (string, error)
}

var (
	_ SLACommands = (*sla.Service)(nil)
	_ sla.Chat    = (*DailyChat)(nil)
)

// slaCommand runs /patch posture or /patch except for user.
func (h *Handler) slaCommand(ctx context.Context, cmd Command, user string) string {
	if h.opts.SLA == nil {
		return "The patch SLA posture is not configured on this patchgate."
	}
	args := strings.Fields(cmd.Args)
	for i, a := range args {
		args[i] = unwrap(a)
	}
	var (
		text string
		err  error
	)
	if cmd.Name == CmdPosture {
		text, err = h.opts.SLA.Posture(ctx, args)
	} else {
		text, err = h.opts.SLA.Except(ctx, args, user)
	}
	switch {
	case err != nil && text != "":
		h.log.Warn("/patch "+string(cmd.Name)+" finished with errors", "user", user, "err", err)
	case err != nil:
		return h.refusal(err, "run /patch "+string(cmd.Name), "user", user)
	}
	return text
}

// PostSLAPosture implements sla.Chat: the daily posture digest.
func (c *DailyChat) PostSLAPosture(ctx context.Context, p sla.Posture) error {
	text := "*Patch SLA posture* — " + p.At.UTC().Format("2006-01-02") + "\n" + sla.PostureText(p.Tenants)
	for _, x := range p.Lapsed {
		text += "\nLapsed: " + sla.ExceptionLine(x)
	}
	ref, err := c.post(ctx, "post the SLA posture digest", message{Text: clip(text, maxSectionChars),
		Blocks: slack.Blocks{BlockSet: slaBlocks(text)}})
	if err != nil {
		return err
	}
	// The charts go into the digest's thread, one PNG file each.
	var errs []error
	for _, ch := range p.Charts {
		f := attachment{Name: ch.Name, Title: ch.Title, Content: ch.PNG}
		if err := c.call(ctx, "upload "+ch.Name, func(ctx context.Context) error { return upload(ctx, c.api, ref, f) }); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ExceptionReminder implements sla.Chat: an exception ends soon.
func (c *DailyChat) ExceptionReminder(ctx context.Context, x sla.Exception) error {
	text := ":hourglass: Exception ending soon: " + sla.ExceptionLine(x) +
		"\nPatch the item, or request a new exception before then."
	_, err := c.post(ctx, "post an exception reminder", message{Text: clip(text, maxSectionChars), Blocks: slack.Blocks{BlockSet: slaBlocks(text)}})
	return err
}

// slaBlocks splits text into sections within Slack's limits.
func slaBlocks(text string) []slack.Block {
	var blocks []slack.Block
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			blocks = append(blocks, slack.NewSectionBlock(mrkdwn(cur.String()), nil, nil))
			cur.Reset()
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if cur.Len()+len(line)+1 > maxSectionChars-100 {
			flush()
		}
		if len(blocks) == maxBlocks-1 {
			break
		}
		cur.WriteString(line + "\n")
	}
	flush()
	return blocks
}
