package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownCommand is what Slack tells a user who types a command the app
// did not register.
var ErrUnknownCommand = errors.New("not a valid command")

// SlashCommand sends a slash_commands envelope as Slack would when userID
// types the command in channelID. text is the arguments ("start acme-cu");
// a leading "/cmd" word names the command, else the first registered one
// ("/patch") is used. It returns once the client acknowledges the
// envelope; on ctx's end it returns an error, but the envelope stays
// pending and is still re-sent, as Slack would.
func (s *Server) SlashCommand(ctx context.Context, userID, channelID, text string) error {
	cmd, args := s.opts.Commands[0], strings.TrimSpace(text)
	if strings.HasPrefix(args, "/") {
		cmd, args, _ = strings.Cut(args, " ")
		args = strings.TrimSpace(args)
	}
	s.mu.Lock()
	registered := false
	for _, c := range s.opts.Commands {
		registered = registered || c == cmd
	}
	if !registered {
		s.mu.Unlock()
		return fmt.Errorf("%s: %w", cmd, ErrUnknownCommand)
	}
	u, c, err := s.actorLocked(userID, channelID)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	s.seq++
	hook, path := s.newResponseURLLocked("commands", &responseTarget{user: u.ID, channel: c.ID})
	p := slashPayload{
		Token: s.opts.VerificationToken, TeamID: s.opts.Team.ID, TeamDomain: s.opts.Team.Domain,
		ChannelID: c.ID, ChannelName: c.Name, UserID: u.ID, UserName: u.Name,
		Command: cmd, Text: args, APIAppID: s.opts.AppID, IsEnterpriseInstall: "false",
		ResponseURL: hook, TriggerID: s.newTriggerLocked(u.ID),
	}
	s.mu.Unlock()
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("sandbox slack: marshal slash command: %w", err)
	}
	e, err := s.enqueue("slash_commands", raw, true, path)
	if err != nil {
		return err
	}
	return s.waitAck(ctx, e)
}

// Click sends the block_actions envelope Slack sends when userID clicks the
// button with actionID in the message messageTS of channelID (a channel
// message, a thread reply, or one of userID's ephemeral messages). value
// picks among buttons sharing an action_id and must be the button's own
// value, since Slack can only send what the button carries; "" takes the
// first match. Like SlashCommand it waits for the ack.
func (s *Server) Click(ctx context.Context, userID, channelID, messageTS, actionID, value string) error {
	s.mu.Lock()
	p, path, err := s.clickPayloadLocked(userID, channelID, messageTS, actionID, value)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("sandbox slack: marshal block_actions: %w", err)
	}
	e, err := s.enqueue("interactive", raw, false, path)
	if err != nil {
		return err
	}
	return s.waitAck(ctx, e)
}

func (s *Server) clickPayloadLocked(userID, channelID, ts, actionID, value string) (*blockActionsPayload, string, error) {
	u, c, err := s.actorLocked(userID, channelID)
	if err != nil {
		return nil, "", err
	}
	var blocks json.RawMessage
	target := &responseTarget{user: u.ID, channel: c.ID, originTS: ts}
	container := payloadContainer{Type: "message", MessageTS: ts, ChannelID: c.ID}
	var msg *wireMessage
	if m := c.find(ts); m != nil {
		blocks, target.threadTS, container.ThreadTS = m.blocks, m.threadTS, m.threadTS
		w := s.wireMessageLocked(m)
		msg = &w
	} else if e := s.ephemeralLocked(c.ID, u.ID, ts); e != nil {
		blocks, target.threadTS, target.originEphemeral = e.blocks, e.threadTS, true
		container.IsEphemeral, container.ThreadTS = true, e.threadTS
	} else {
		return nil, "", fmt.Errorf("sandbox slack: no message %s in %s visible to %s", ts, c.ID, u.ID)
	}
	b, ok := findButton(blocks, actionID, value)
	if !ok {
		return nil, "", fmt.Errorf("sandbox slack: message %s has no button %q with value %q", ts, actionID, value)
	}
	s.seq++
	hook, path := s.newResponseURLLocked("actions", target)
	return &blockActionsPayload{
		Type:        "block_actions",
		User:        payloadUser{ID: u.ID, Username: u.Name, Name: u.Name, TeamID: s.opts.Team.ID},
		APIAppID:    s.opts.AppID,
		Token:       s.opts.VerificationToken,
		Container:   container,
		TriggerID:   s.newTriggerLocked(u.ID),
		Team:        payloadTeam{ID: s.opts.Team.ID, Domain: s.opts.Team.Domain},
		Enterprise:  json.RawMessage("null"),
		Channel:     payloadChannel{ID: c.ID, Name: c.Name},
		Message:     msg,
		State:       payloadState{Values: map[string]any{}},
		ResponseURL: hook,
		Actions: []payloadAction{{
			ActionID: b.actionID, BlockID: b.blockID, Value: b.value, Style: b.style, Type: "button",
			Text:     payloadText{Type: "plain_text", Text: b.text, Emoji: true},
			ActionTS: s.clock.next(),
		}},
	}, path, nil
}

func (s *Server) actorLocked(userID, channelID string) (User, *channelState, error) {
	u, ok := s.users[userID]
	if !ok {
		return User{}, nil, fmt.Errorf("sandbox slack: unknown user %q", userID)
	}
	c := s.channelLocked(channelID)
	if c == nil {
		return User{}, nil, fmt.Errorf("sandbox slack: unknown channel %q", channelID)
	}
	return u, c, nil
}

func (s *Server) ephemeralLocked(channel, user, ts string) *ephemeral {
	for _, e := range s.ephemerals {
		if e.ts == ts && e.channel == channel && e.user == user {
			return e
		}
	}
	return nil
}

type button struct{ blockID, actionID, value, style, text string }

// findButton looks through actions blocks and section accessories.
func findButton(blocks json.RawMessage, actionID, value string) (button, bool) {
	var bs []struct {
		BlockID   string            `json:"block_id"`
		Elements  []json.RawMessage `json:"elements"`
		Accessory json.RawMessage   `json:"accessory"`
	}
	if json.Unmarshal(blocks, &bs) != nil {
		return button{}, false
	}
	for _, b := range bs {
		els := b.Elements
		if len(b.Accessory) > 0 {
			els = append(els, b.Accessory)
		}
		for _, raw := range els {
			var el struct {
				Type     string `json:"type"`
				ActionID string `json:"action_id"`
				Value    string `json:"value"`
				Style    string `json:"style"`
				Text     struct {
					Text string `json:"text"`
				} `json:"text"`
			}
			if json.Unmarshal(raw, &el) != nil || el.Type != "button" || el.ActionID != actionID {
				continue
			}
			if value == "" || value == el.Value {
				return button{b.BlockID, el.ActionID, el.Value, el.Style, el.Text.Text}, true
			}
		}
	}
	return button{}, false
}
