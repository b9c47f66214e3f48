package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks/daily"
	"github.com/patchgate/patchgate/runbooks/drift"
	"github.com/patchgate/patchgate/runbooks/saml"
	"github.com/slack-go/slack"
)

// maxDriftButtons bounds the items shown with their own Ratify/Remediate
// buttons (two blocks each) so a digest stays inside Slack's 50 blocks; the
// rest are listed in the attached text digest.
const maxDriftButtons = 18

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// samlMessage renders a certificate's runbook: the facts, the MOP steps as
// a checklist with a Done button per open step (ticked steps show who and
// when), verification and rollback, and, once resolved, why.
func samlMessage(r *saml.Record) message {
	f := r.Finding
	c := f.Certificate
	head := fmt.Sprintf("SAML certificate expires in %d days: %s", f.DaysLeft, c.Integration)
	switch {
	case r.Status == saml.StatusResolved:
		head = "Resolved: SAML certificate of " + c.Integration
	case f.Level == saml.LevelExpired:
		head = fmt.Sprintf("SAML certificate EXPIRED %d days ago: %s", -f.DaysLeft, c.Integration)
	}
	icon := map[string]string{saml.LevelWarn: ":warning:", saml.LevelPage: ":rotating_light:", saml.LevelExpired: ":no_entry:"}[f.Level]
	if r.Status == saml.StatusResolved {
		icon = ":white_check_mark:"
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(clip(head, maxHeaderChars))),
		slack.NewSectionBlock(nil, []*slack.TextBlockObject{
			mrkdwn("*Provider*\n" + esc(saml.KindName(c.Kind))),
			mrkdwn("*Integration*\n" + esc(c.Integration)),
			mrkdwn("*Subject*\n" + esc(c.Subject)),
			mrkdwn("*Serial*\n`" + esc(c.Serial) + "`"),
			mrkdwn("*Not after*\n" + stamp(c.NotAfter)),
			mrkdwn(fmt.Sprintf("*Days left*\n%s %d (%s)", icon, f.DaysLeft, f.Level)),
		}, nil),
		contextLine(fmt.Sprintf("Entity %s · source %s · SHA-256 `%s`", esc(c.EntityID), esc(c.SourceName), esc(c.SHA256))),
	}
	if r.Status == saml.StatusResolved {
		blocks = append(blocks, section(fmt.Sprintf(":white_check_mark: *Renewed / resolved* at %s: %s", stamp(r.ResolvedAt), esc(r.Resolution))))
	}
	done := len(r.Ticks)
	blocks = append(blocks, slack.NewDividerBlock(),
		section(fmt.Sprintf("*Method of Procedure: %s* (%d/%d steps done)", esc(r.Procedure.Title), done, len(r.Procedure.Steps))))
	for i, s := range r.Procedure.Steps {
		if t, ok := r.Ticked(s.ID); ok {
			blocks = append(blocks, section(fmt.Sprintf(":white_check_mark: ~%d. %s~\n_done by %s at %s_", i+1, esc(s.Text), userLink(t.By), stamp(t.At))))
			continue
		}
		sec := section(fmt.Sprintf(":white_large_square: %d. %s", i+1, esc(s.Text)))
		if r.Status != saml.StatusResolved {
			sec.Accessory = slack.NewAccessory(slack.NewButtonBlockElement(ActionSAMLTick, EncodeTickValue(r.Fingerprint, s.ID), plain("Done")))
		}
		blocks = append(blocks, sec)
	}
	blocks = append(blocks, section("*Verification*\n"+bullets(r.Procedure.Verification)),
		section("*Rollback*\n"+bullets(r.Procedure.Rollback)),
		contextLine("The full MOP is attached in the thread. Ticks are recorded in the audit log."))
	text := fmt.Sprintf("%s (serial %s, not after %s)", head, c.Serial, c.NotAfter.UTC().Format("2006-01-02"))
	return message{Text: text, Blocks: slack.Blocks{BlockSet: blocks}}
}

func bullets(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("• " + esc(l) + "\n")
	}
	return b.String()
}

// driftMessage renders the morning digest: per tenant/account, each
// workspace's status, and each open item with Ratify and Remediate buttons
// (or the decision already taken). It also reports whether some items were
// left out of the buttons (they are in the attached text digest).
func driftMessage(d drift.Digest) (message, bool) {
	drifted, failed, items := d.Counts()
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain("Terraform drift report · " + d.At.UTC().Format("2006-01-02"))),
		section(fmt.Sprintf("%d workspace(s) drifted, %d failed, %d open item(s). *Ratify* incorporates a change into Terraform; *Remediate* reverts it to the code.",
			drifted, failed, items)),
	}
	shown, more := 0, false
	for _, g := range d.Groups {
		blocks = append(blocks, slack.NewDividerBlock(), section("*"+esc(drift.GroupTitle(g))+"*"))
		var lines []string
		for _, w := range g.Workspaces {
			line := fmt.Sprintf("`%s`: %s", esc(w.Name), statusIcon(w.Status))
			if w.Error != "" {
				line += " — " + esc(clip(w.Error, 300))
			}
			if len(w.Outputs) > 0 {
				line += " (outputs changed: " + esc(strings.Join(w.Outputs, ", ")) + ")"
			}
			lines = append(lines, line)
		}
		blocks = append(blocks, contextLine(strings.Join(lines, "\n")))
		for _, w := range g.Workspaces {
			for _, it := range w.Items {
				if shown >= maxDriftButtons {
					more = true
					continue
				}
				shown++
				blocks = append(blocks, driftItemBlocks(it)...)
			}
		}
	}
	if more {
		blocks = append(blocks, contextLine(fmt.Sprintf("%d more item(s) are in the attached digest; decide them from a later report once these are resolved.", items-shown)))
	}
	if len(d.Resolved) > 0 {
		var lines []string
		for _, it := range d.Resolved {
			l := fmt.Sprintf("• `%s` %s", esc(it.Workspace), esc(it.Address))
			if it.Decision != nil {
				l += fmt.Sprintf(" (%s by %s)", it.Decision.Kind, userLink(it.Decision.By))
			}
			lines = append(lines, l)
		}
		blocks = append(blocks, slack.NewDividerBlock(), section(":white_check_mark: *Resolved since the last report*\n"+strings.Join(lines, "\n")))
	}
	text := fmt.Sprintf("Terraform drift report: %d drifted, %d failed, %d open item(s)", drifted, failed, items)
	return message{Text: text, Blocks: slack.Blocks{BlockSet: blocks}}, more
}

func statusIcon(s drift.Status) string {
	switch s {
	case drift.StatusClean:
		return ":white_check_mark: clean"
	case drift.StatusDrift:
		return ":large_orange_diamond: drift"
	}
	return ":x: *failed*"
}

// driftItemBlocks is one item: what changed, its decision if any, buttons.
func driftItemBlocks(it drift.Item) []slack.Block {
	s := fmt.Sprintf("`%s` *%s*", esc(it.Address), esc(it.Action))
	if it.Kind == drift.KindPlanned {
		s += " (planned)"
	}
	if len(it.Paths) > 0 {
		s += "\n" + esc(clip(strings.Join(it.Paths, ", "), 1500))
	}
	if it.Decision != nil {
		s += fmt.Sprintf("\n_decision: %s by %s at %s, pending until resolved_", it.Decision.Kind, userLink(it.Decision.By), stamp(it.Decision.At))
	}
	val := EncodeDriftValue(it.ID)
	return []slack.Block{
		section(s),
		slack.NewActionBlock("patchgate.drift."+it.ID,
			slack.NewButtonBlockElement(ActionDriftRatify, val, plain("Ratify")).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement(ActionDriftRemediate, val, plain("Remediate")).WithStyle(slack.StyleDanger)),
	}
}

// statusDigestMessage lists the active cycles with their stage and status.
func statusDigestMessage(v daily.StatusView) message {
	head := fmt.Sprintf("Active patch cycles · %s", stamp(v.At))
	body := "No active cycles."
	if len(v.Cycles) > 0 {
		var lines []string
		for _, c := range v.Cycles {
			lines = append(lines, "• "+cycleLine(c))
		}
		body = strings.Join(lines, "\n")
	}
	blocks := []slack.Block{slack.NewHeaderBlock(plain(head)), section(body)}
	text := fmt.Sprintf("%s: %d active", head, len(v.Cycles))
	if len(v.Freezes) > 0 {
		blocks = append(blocks, section(":snowflake: *Freezes* (no new cycle or stage starts while one holds):\n• "+strings.Join(v.Freezes, "\n• ")))
		text += fmt.Sprintf(", %d freeze(s)", len(v.Freezes))
	}
	return message{Text: text, Blocks: slack.Blocks{BlockSet: blocks}}
}
