package sandbox

import (
	"fmt"
	"html"
	"regexp"
	"strings"
)

// directory resolves ids in mentions to names for display.
type directory interface {
	userName(id string) string
	channelName(id string) string
	groupHandle(id string) string
}

// emoji covers the shortcodes a patch bot is likely to use; others stay
// as text, since the page may fetch nothing from the network.
var emoji = map[string]string{
	"white_check_mark": "✅", "heavy_check_mark": "✔️", "x": "❌", "warning": "⚠️",
	"hourglass": "⌛", "hourglass_flowing_sand": "⏳", "lock": "🔒", "unlock": "🔓",
	"rocket": "🚀", "rotating_light": "🚨", "no_entry": "⛔", "no_entry_sign": "🚫",
	"large_green_circle": "🟢", "large_yellow_circle": "🟡", "red_circle": "🔴",
	"large_blue_circle": "🔵", "white_circle": "⚪", "black_circle": "⚫",
	"stopwatch": "⏱️", "clock2": "🕑", "page_facing_up": "📄", "paperclip": "📎",
	"shield": "🛡️", "wrench": "🔧", "gear": "⚙️", "tada": "🎉", "thumbsup": "👍",
	"+1": "👍", "eyes": "👀", "memo": "📝", "bar_chart": "📊", "arrow_right": "➡️",
	"pause_button": "⏸️", "arrow_forward": "▶️", "repeat": "🔁", "skull": "💀",
	"calendar": "📆", "cloud": "☁️", "key": "🔑", "mag": "🔍", "bell": "🔔",
}

var (
	emojiRe  = regexp.MustCompile(`:([a-z0-9_+\-]+):`)
	boldRe   = regexp.MustCompile(`(^|[^\w*])\*([^*\n]+?)\*($|[^\w*])`)
	italicRe = regexp.MustCompile(`(^|[^\w_])_([^_\n]+?)_($|[^\w_])`)
	strikeRe = regexp.MustCompile(`(^|[^\w~])~([^~\n]+?)~($|[^\w~])`)
	codeRe   = regexp.MustCompile("`([^`\n]+)`")
	specialR = regexp.MustCompile(`<([^<>\n]+)>`)
	fenceRe  = regexp.MustCompile("(?s)```\n?(.*?)```")
)

// mrkdwnHTML renders Slack mrkdwn as safe HTML. Slack text arrives with &,
// < and > escaped as entities, and <…> is reserved for links and mentions,
// so those are cut out first (into placeholders) and everything else is
// unescaped, HTML-escaped and then formatted.
func mrkdwnHTML(text string, dir directory) string {
	var holds []string
	hold := func(h string) string {
		holds = append(holds, h)
		return fmt.Sprintf("\x00%d\x00", len(holds)-1)
	}
	text = fenceRe.ReplaceAllStringFunc(text, func(m string) string {
		body := fenceRe.FindStringSubmatch(m)[1]
		return hold("<pre>" + html.EscapeString(slackUnescape(body)) + "</pre>")
	})
	text = codeRe.ReplaceAllStringFunc(text, func(m string) string {
		return hold("<code>" + html.EscapeString(slackUnescape(m[1:len(m)-1])) + "</code>")
	})
	text = specialR.ReplaceAllStringFunc(text, func(m string) string {
		return hold(special(m[1:len(m)-1], dir))
	})
	out := html.EscapeString(slackUnescape(text))
	out = surround(out, boldRe, "b")
	out = surround(out, italicRe, "i")
	out = surround(out, strikeRe, "s")
	out = emojiHTML(out)
	out = quoteLines(out)
	out = strings.ReplaceAll(out, "\n", "<br>")
	for i, h := range holds {
		out = strings.Replace(out, fmt.Sprintf("\x00%d\x00", i), h, 1)
	}
	return out
}

// surround applies a *bold*-style rule. Each match consumes the character
// after the closing marker, so "*a* *b*" needs a second pass for *b*.
func surround(s string, re *regexp.Regexp, tag string) string {
	for range 4 {
		next := re.ReplaceAllString(s, "$1<"+tag+">$2</"+tag+">$3")
		if next == s {
			break
		}
		s = next
	}
	return s
}

// special renders the inside of <…>: mentions, channel links, user group
// mentions, @here and links.
func special(s string, dir directory) string {
	target, label, hasLabel := strings.Cut(s, "|")
	label = slackUnescape(label)
	mention := func(prefix, name string) string {
		if hasLabel {
			name = strings.TrimPrefix(label, prefix)
		}
		return `<span class="mention">` + html.EscapeString(prefix+name) + `</span>`
	}
	switch {
	case strings.HasPrefix(target, "@"):
		return mention("@", dir.userName(target[1:]))
	case strings.HasPrefix(target, "#"):
		return mention("#", dir.channelName(target[1:]))
	case strings.HasPrefix(target, "!subteam^"):
		return mention("@", dir.groupHandle(strings.TrimPrefix(target, "!subteam^")))
	case strings.HasPrefix(target, "!"):
		name, _, _ := strings.Cut(target[1:], "^")
		return mention("@", name)
	}
	href := slackUnescape(target)
	if !hasLabel {
		label = href
	}
	lower := strings.ToLower(href)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "mailto:") {
		return html.EscapeString(label) // no javascript: links
	}
	return `<a href="` + html.EscapeString(href) + `" target="_blank" rel="noopener noreferrer">` + html.EscapeString(label) + `</a>`
}

// slackUnescape undoes the three entities Slack escapes in message text.
func slackUnescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// plainHTML renders plain_text: escaped, with line breaks kept.
func plainHTML(s string) string {
	return strings.ReplaceAll(html.EscapeString(s), "\n", "<br>")
}

func emojiHTML(s string) string {
	return emojiRe.ReplaceAllStringFunc(s, func(m string) string {
		if e, ok := emoji[m[1:len(m)-1]]; ok {
			return e
		}
		return m
	})
}

// quoteLines turns lines starting with "> " (escaped: "&gt; ") into quotes.
func quoteLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(l, "&gt; "); ok {
			lines[i] = "<blockquote>" + rest + "</blockquote>"
		}
	}
	return strings.Join(lines, "\n")
}
