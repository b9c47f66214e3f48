package sandbox

import (
	"encoding/json"
	"regexp"
	"unicode/utf8"
)

// tsPattern is Slack's message timestamp shape, "1700000000.000100".
var tsPattern = regexp.MustCompile(`^\d{10}\.\d{6}$`)

// messageContent reads text and blocks the way chat.postMessage and
// chat.update take them.
func messageContent(r *apiRequest) (text string, blocks json.RawMessage, hasBlocks bool, e *apiError) {
	text = r.args.Get("text")
	if utf8.RuneCountInString(text) > 40000 {
		return "", nil, false, errCode("msg_too_long")
	}
	if raw := r.args.Get("blocks"); raw != "" {
		blocks, e = normalizeBlocks(raw)
		if e != nil {
			return "", nil, false, e
		}
		hasBlocks = true
		if string(blocks) == "[]" {
			blocks = nil
		}
	}
	return text, blocks, hasBlocks, nil
}

// threadArg resolves thread_ts to the thread's parent. Slack silently
// drops a reply to a message that does not exist; the sandbox refuses it
// with thread_not_found instead, so such a bug shows up in tests.
func threadArg(c *channelState, r *apiRequest) (string, *apiError) {
	ts := r.args.Get("thread_ts")
	if ts == "" {
		return "", nil
	}
	if !tsPattern.MatchString(ts) {
		return "", errCode("invalid_thread_ts", ts+" is not a valid thread_ts")
	}
	root := c.threadRoot(ts)
	if root == "" {
		return "", errCode("thread_not_found")
	}
	return root, nil
}

// newMessageLocked reads what a new message (posted or ephemeral) says and
// where it goes: Slack refuses an empty one and an unknown channel alike.
func (s *Server) newMessageLocked(r *apiRequest) (text string, blocks json.RawMessage, c *channelState, e *apiError) {
	text, blocks, _, e = messageContent(r)
	if e != nil {
		return "", nil, nil, e
	}
	if text == "" && blocks == nil {
		return "", nil, nil, errCode("no_text")
	}
	if c = s.channelLocked(r.args.Get("channel")); c == nil {
		return "", nil, nil, errCode("channel_not_found")
	}
	return text, blocks, c, nil
}

func (s *Server) chatPostMessage(r *apiRequest) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	text, blocks, c, e := s.newMessageLocked(r)
	if e != nil {
		return nil, e
	}
	thread, e := threadArg(c, r)
	if e != nil {
		return nil, e
	}
	m := &message{
		channel: c.ID, ts: s.clock.next(), threadTS: thread,
		user: s.opts.BotUserID, botID: s.opts.BotID, text: text, blocks: blocks,
	}
	c.add(m)
	s.bumpLocked()
	return map[string]any{"channel": c.ID, "ts": m.ts, "message": s.wireMessageLocked(m)}, nil
}

// chatUpdate replaces text and blocks in place. As in Slack, an argument
// left out keeps the old value; blocks=[] removes the blocks.
func (s *Server) chatUpdate(r *apiRequest) (map[string]any, *apiError) {
	text, blocks, hasBlocks, e := messageContent(r)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channelLocked(r.args.Get("channel"))
	if c == nil {
		return nil, errCode("channel_not_found")
	}
	m := c.find(r.args.Get("ts"))
	if m == nil {
		return nil, errCode("message_not_found")
	}
	if m.user != s.opts.BotUserID {
		return nil, errCode("cant_update_message")
	}
	if r.args.Has("text") {
		m.text = text
	}
	if hasBlocks {
		m.blocks = blocks
	}
	if m.text == "" && m.blocks == nil {
		return nil, errCode("no_text")
	}
	m.edited++
	m.editedTS = s.clock.next()
	s.bumpLocked()
	return map[string]any{"channel": c.ID, "ts": m.ts, "text": m.text, "message": s.wireMessageLocked(m)}, nil
}

func (s *Server) chatPostEphemeral(r *apiRequest) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	text, blocks, c, e := s.newMessageLocked(r)
	if e != nil {
		return nil, e
	}
	user := r.args.Get("user")
	if _, ok := s.users[user]; !ok {
		return nil, errCode("user_not_in_channel")
	}
	thread, e := threadArg(c, r)
	if e != nil {
		return nil, e
	}
	eph := s.addEphemeralLocked(c.ID, user, thread, text, blocks, "chat.postEphemeral")
	return map[string]any{"message_ts": eph.ts}, nil
}

func (s *Server) addEphemeralLocked(channel, user, thread, text string, blocks json.RawMessage, via string) *ephemeral {
	e := &ephemeral{
		channel: channel, user: user, ts: s.clock.next(), threadTS: thread,
		text: text, blocks: blocks, via: via,
	}
	s.ephemerals = append(s.ephemerals, e)
	s.bumpLocked()
	return e
}
