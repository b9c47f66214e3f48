package bot

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/doctor"
)

// ScopeRecorder is an http.RoundTripper that remembers the OAuth scopes
// Slack reports on every Web API response (X-OAuth-Scopes), so the doctor
// can compare what the token was granted with what the manifest asks for.
type ScopeRecorder struct {
	Next http.RoundTripper // nil: http.DefaultTransport

	mu     sync.Mutex
	scopes string
	seen   bool
}

// RoundTrip records the header of each response.
func (s *ScopeRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	next := s.Next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(r)
	if err == nil {
		if v, ok := resp.Header["X-Oauth-Scopes"]; ok {
			s.mu.Lock()
			s.scopes, s.seen = strings.Join(v, ","), true
			s.mu.Unlock()
		}
	}
	return resp, err
}

// Granted is the last scope list seen; ok is false when no response had one.
func (s *ScopeRecorder) Granted() (scopes []string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range strings.Split(s.scopes, ",") {
		if v = strings.TrimSpace(v); v != "" {
			scopes = append(scopes, v)
		}
	}
	return scopes, s.seen
}

// DoctorOptions say what the Slack checks look at.
type DoctorOptions struct {
	Channel  string   // the cycles channel (ID or name)
	Groups   []string // approver and requester user groups (S…)
	Required []string // bot scopes the manifest asks for
	Scopes   *ScopeRecorder
}

// DoctorChecks are the read-only Slack probes of `patchgate doctor`: the
// token (auth.test), its scopes against the manifest, the bot's membership
// of the cycles channel and each configured user group's members.
func DoctorChecks(api *slack.Client, o DoctorOptions) []doctor.Check {
	checks := []doctor.Check{
		{Name: "slack: auth.test", Run: func(ctx context.Context) (string, error) {
			r, err := api.AuthTestContext(ctx)
			if err != nil {
				return "", doctor.Fix(fmt.Errorf("auth.test: %w", err), "set slack.bot_token to the app's Bot User OAuth Token (xoxb-…) and check slack.api_url")
			}
			return fmt.Sprintf("as @%s (%s) in %s", r.User, r.UserID, r.Team), nil
		}},
		{Name: "slack: granted scopes", Run: func(ctx context.Context) (string, error) {
			if _, err := api.AuthTestContext(ctx); err != nil {
				return "", doctor.Fix(fmt.Errorf("auth.test: %w", err), "fix the token first")
			}
			granted, ok := o.Scopes.Granted()
			if !ok {
				return "", doctor.Fixf("check slack.api_url points at Slack's Web API", "Slack sent no X-OAuth-Scopes header")
			}
			var missing []string
			for _, s := range o.Required {
				if !slices.Contains(granted, s) {
					missing = append(missing, s)
				}
			}
			if len(missing) > 0 {
				return "", doctor.Fixf("add the scopes to the app (deploy/slack/manifest.yaml), reinstall it to the workspace and use the new bot token",
					"token lacks %s (granted: %s)", strings.Join(missing, ", "), strings.Join(granted, ", "))
			}
			return "all " + fmt.Sprint(len(o.Required)) + " manifest scopes granted", nil
		}},
	}
	if o.Channel != "" {
		checks = append(checks, doctor.Check{Name: "slack: bot in " + o.Channel, Run: func(ctx context.Context) (string, error) {
			ch, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: o.Channel})
			if err != nil {
				return "", doctor.Fix(fmt.Errorf("conversations.info %s: %w", o.Channel, err),
					"set slack.channel to the channel's ID (C…); a missing_scope error needs channels:read (groups:read for a private channel)")
			}
			if !ch.IsMember {
				return "", doctor.Fixf("invite the bot: /invite @patchgate in #"+ch.Name, "the bot is not a member of #%s (%s)", ch.Name, ch.ID)
			}
			return fmt.Sprintf("member of #%s", ch.Name), nil
		}})
	}
	for _, g := range o.Groups {
		checks = append(checks, doctor.Check{Name: "slack: user group " + g, Run: func(ctx context.Context) (string, error) {
			users, err := api.GetUserGroupMembersContext(ctx, g)
			if err != nil {
				return "", doctor.Fix(fmt.Errorf("usergroups.users.list %s: %w", g, err),
					"grant usergroups:read and check the group ID (S…) in the pipeline's groups")
			}
			if len(users) == 0 {
				return "", doctor.Fixf("add the approvers to the group in Slack", "user group %s has no members: nobody in it can approve", g)
			}
			return fmt.Sprintf("%d member(s)", len(users)), nil
		}})
	}
	return checks
}
