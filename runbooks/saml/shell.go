package saml

import (
	"net/url"
	"strings"
)

// shQuote makes s one POSIX-shell word: single quotes expand nothing, and a
// quote inside is closed, escaped and reopened.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// psQuote makes s one PowerShell word: single-quoted strings expand nothing
// and a quote inside is doubled.
func psQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// slug turns a label into a file name every shell takes as one plain word:
// runs of anything but letters, digits, dot, dash and underscore become one
// dash, and no leading dash or dot (an option, a hidden file).
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		switch {
		case r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'):
			b.WriteRune(r)
			dash = false
		case !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-.")
	if out == "" {
		return "saml-provider"
	}
	return out
}

// prose keeps an untrusted value (an integration label, an entity ID from
// metadata) from opening a code span or a new line in a MOP's text, so
// every backquoted span in a MOP is a command the MOP wrote.
func prose(s string) string {
	return strings.NewReplacer("`", "'", "\r", " ", "\n", " ").Replace(s)
}

// urlHost is the host of an entity ID that is a URL (AD FS identifiers
// are), or "" when it is not one.
func urlHost(entityID string) string {
	u, err := url.Parse(entityID)
	if err != nil || u.Host == "" || strings.ContainsAny(u.Host, " '\"`$;&|<>()") {
		return ""
	}
	return u.Host
}

// arnAccount is the account ID inside an IAM ARN, or "".
func arnAccount(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}
