package terraform

import (
	"regexp"
	"sort"
	"strings"
)

// secretName matches variable and backend-config names whose values must
// never reach a report: terraform prints a variable's value in the
// diagnostic of a failed validation, and errors are posted to Slack.
var secretName = regexp.MustCompile(`(?i)pass|secret|token|credential|private|api_?key|access_?key|auth|cert|sas|connection_string`)

// secretValue matches values that look like credentials whatever their name:
// AWS access key IDs and long unbroken base64/hex strings.
var secretValue = regexp.MustCompile(`^(?:(?:AKIA|ASIA)[A-Z0-9]{16}|[A-Za-z0-9+/=_\-]{32,})$`)

// inlineSecret catches key=value or key: value pairs that name a secret.
var inlineSecret = regexp.MustCompile(`(?i)((?:password|secret|token|access_key|secret_key|api_key)\w*"?\s*[=:]\s*"?)([^\s"]+)`)

var awsKeyID = regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`)

const redacted = "[REDACTED]"

// redactor removes credential-looking values of one workspace from text.
type redactor struct{ values []string }

func newRedactor(ws Workspace) redactor {
	var vals []string
	add := func(m map[string]string) {
		for k, v := range m {
			if v != "" && (secretName.MatchString(k) || secretValue.MatchString(v)) {
				vals = append(vals, v)
			}
		}
	}
	add(ws.Vars)
	add(ws.BackendConfig)
	// Longest first, so a value that contains another is removed whole.
	sort.Slice(vals, func(i, j int) bool { return len(vals[i]) > len(vals[j]) })
	return redactor{values: vals}
}

func (r redactor) clean(s string) string {
	for _, v := range r.values {
		s = strings.ReplaceAll(s, v, redacted)
	}
	s = inlineSecret.ReplaceAllString(s, "${1}"+redacted)
	return awsKeyID.ReplaceAllString(s, redacted)
}
