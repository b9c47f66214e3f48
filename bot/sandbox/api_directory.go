package sandbox

import (
	"strings"

	"github.com/slack-go/slack"
)

// The directory methods marshal slack-go's own types, so every field a
// slack-go client decodes has the name it expects.

func (s *Server) authTest(r *apiRequest) (map[string]any, *apiError) {
	return map[string]any{
		"url":                   "https://" + s.opts.Team.Domain + ".slack.com/",
		"team":                  s.opts.Team.Name,
		"user":                  s.opts.BotName,
		"team_id":               s.opts.Team.ID,
		"user_id":               s.opts.BotUserID,
		"bot_id":                s.opts.BotID,
		"is_enterprise_install": false,
	}, nil
}

// usersInfo answers both forms slack-go sends: user=U… and users=U1,U2.
func (s *Server) usersInfo(r *apiRequest) (map[string]any, *apiError) {
	if ids := r.args.Get("users"); ids != "" {
		var out []slack.User
		for _, id := range splitNonEmpty(ids) {
			u, ok := s.slackUser(id)
			if !ok {
				return nil, errCode("user_not_found")
			}
			out = append(out, u)
		}
		return map[string]any{"users": out}, nil
	}
	u, ok := s.slackUser(r.args.Get("user"))
	if !ok {
		return nil, errCode("user_not_found")
	}
	return map[string]any{"user": u}, nil
}

func (s *Server) slackUser(id string) (slack.User, bool) {
	if id == s.opts.BotUserID {
		return slack.User{
			ID: id, TeamID: s.opts.Team.ID, Name: s.opts.BotName, RealName: s.opts.BotName,
			IsBot: true, TZ: "Etc/UTC",
			Profile: slack.UserProfile{RealName: s.opts.BotName, DisplayName: s.opts.BotName, BotID: s.opts.BotID},
		}, true
	}
	s.mu.Lock()
	u, ok := s.users[id]
	s.mu.Unlock()
	if !ok {
		return slack.User{}, false
	}
	return slack.User{
		ID: u.ID, TeamID: s.opts.Team.ID, Name: u.Name, RealName: u.Real, TZ: "Etc/UTC",
		TZLabel: "Coordinated Universal Time",
		Profile: slack.UserProfile{
			RealName: u.Real, RealNameNormalized: u.Real, DisplayName: u.Name,
			DisplayNameNormalized: u.Name, Email: u.Name + "@" + s.opts.Team.Domain + ".example",
		},
	}, true
}

func (s *Server) usergroupsUsersList(r *apiRequest) (map[string]any, *apiError) {
	s.mu.Lock()
	g, ok := s.groups[r.args.Get("usergroup")]
	s.mu.Unlock()
	if !ok {
		return nil, errCode("no_such_subteam")
	}
	users := append([]string{}, g.Users...)
	return map[string]any{"users": users}, nil
}

func (s *Server) conversationsInfo(r *apiRequest) (map[string]any, *apiError) {
	s.mu.Lock()
	c := s.channelLocked(r.args.Get("channel"))
	s.mu.Unlock()
	if c == nil {
		return nil, errCode("channel_not_found")
	}
	ch := slack.Channel{IsChannel: true, IsMember: !c.BotAbsent}
	ch.ID = c.ID
	ch.Name = c.Name
	ch.NameNormalized = strings.ToLower(c.Name)
	ch.NumMembers = len(s.opts.Users) + 1
	return map[string]any{"channel": ch}, nil
}
