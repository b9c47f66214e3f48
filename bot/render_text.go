package bot

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/slack-go/slack"
)

// message is one Slack message as the notifier sends it: the notification
// text (shown where blocks are not, and in notifications) and the blocks.
type message struct {
	Text   string       `json:"text"`
	Blocks slack.Blocks `json:"blocks"`
}

func (m message) options() []slack.MsgOption {
	return []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks.BlockSet...)}
}

// Slack's limits on what a block holds.
const (
	maxHeaderChars  = 150
	maxSectionChars = 3000
	maxFieldChars   = 2000
	maxBlocks       = 50
)

func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, clip(text, maxSectionChars), false, false)
}

func plain(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, text, true, false)
}

func section(text string) *slack.SectionBlock { return slack.NewSectionBlock(mrkdwn(text), nil, nil) }

func contextLine(text string) *slack.ContextBlock {
	return slack.NewContextBlock("", mrkdwn(text))
}

// esc escapes the three characters Slack's mrkdwn gives meaning to, so a
// host name or reason cannot turn into a mention or a link.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// userLink shows a chat user as a mention, and the engine as itself.
func userLink(id string) string {
	switch id {
	case "":
		return "someone"
	case runbooks.ActorSystem:
		return "patchgate"
	}
	return "<@" + esc(id) + ">"
}

// num formats n with thousands separators: 1,200.
func num(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + num(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// nHosts is "1 host" or "1,200 hosts".
func nHosts(n int) string {
	if n == 1 {
		return "1 host"
	}
	return num(n) + " hosts"
}

// bar is a ten-cell text progress bar.
func bar(done, total int) string {
	const cells = 10
	full := 0
	if total > 0 {
		full = min(cells, done*cells/total)
	}
	return strings.Repeat("▓", full) + strings.Repeat("░", cells-full)
}

// percent is done/total rounded down, so 100 % means finished.
func percent(done, total int) int {
	if total <= 0 {
		return 0
	}
	return min(100, done*100/total)
}

// utc shows a time the same way to every reader.
func utc(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// left says how long until t for people: "23h left", "1h5m left",
// "45m left".
func left(now, t time.Time) string {
	d := t.Sub(now)
	if d <= 0 {
		return "ending now"
	}
	// Up to the next whole minute: a countdown never shows less time left
	// than there is.
	return runbooks.ForPeople((d + time.Minute - 1).Truncate(time.Minute)) + " left"
}

// clip shortens s to at most n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// plainText strips mrkdwn emphasis for notification text.
func plainText(s string) string {
	return strings.NewReplacer("*", "", "`", "").Replace(s)
}
