package sandbox

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// methodScopes are the bot scopes each implemented Web API method accepts
// (Slack's method reference: any one of them suffices; conversations.info
// takes channels:read for public and groups:read for private channels).
var methodScopes = map[string][]string{
	"chat.postMessage":             {"chat:write"},
	"chat.update":                  {"chat:write"},
	"chat.postEphemeral":           {"chat:write"},
	"files.getUploadURLExternal":   {"files:write"},
	"files.completeUploadExternal": {"files:write"},
	"users.info":                   {"users:read"},
	"usergroups.users.list":        {"usergroups:read"},
	"conversations.info":           {"channels:read", "groups:read"},
}

// DefaultScopes grant every scope a method of the sandbox needs, plus
// commands (the slash command).
func DefaultScopes() []string {
	set := map[string]bool{"commands": true}
	for _, ss := range methodScopes {
		for _, s := range ss {
			set[s] = true
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// checkScopes puts the granted scopes on a bot-token response, as Slack
// does with X-OAuth-Scopes, and refuses a method whose scope is missing.
func (s *Server) checkScopes(w http.ResponseWriter, r *http.Request, args url.Values, method string) *apiError {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if tok == "" {
		tok = args.Get("token")
	}
	if tok != s.opts.BotToken {
		return nil
	}
	granted := strings.Join(s.opts.Scopes, ",")
	w.Header().Set("X-OAuth-Scopes", granted)
	needs := methodScopes[method]
	if len(needs) == 0 || slices.ContainsFunc(needs, func(n string) bool { return slices.Contains(s.opts.Scopes, n) }) {
		return nil
	}
	e := errCode("missing_scope")
	e.extra = map[string]any{"needed": strings.Join(needs, ","), "provided": granted}
	return e
}
