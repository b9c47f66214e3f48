package sandbox

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Message is a channel message as a test sees it: a snapshot, safe to keep.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string // set on replies
	User     string
	Text     string
	Blocks   json.RawMessage // as stored: what the bot sent, block_ids filled in
	Replies  []Message       // thread replies in order (top-level messages only)
	Files    []File          // files shared with this message
	Edited   int             // how many times chat.update or a response_url replaced it
}

// Ephemeral is a message only one user sees.
type Ephemeral struct {
	Channel  string
	User     string // who sees it
	TS       string
	ThreadTS string
	Text     string
	Blocks   json.RawMessage
	Edited   int
	Via      string // "chat.postEphemeral", "response_url" or "ack"
}

// File is an uploaded file, with the bytes the client sent.
type File struct {
	ID       string
	Name     string
	Title    string
	User     string
	Content  []byte
	Channel  string // "" if completed without sharing
	ThreadTS string
	URL      string // download link served by the sandbox
}

type channelState struct {
	Channel
	messages []*message // top level, in ts order
}

type message struct {
	channel  string
	ts       string
	threadTS string
	user     string
	botID    string
	text     string
	blocks   json.RawMessage
	files    []string
	upload   bool
	edited   int
	editedTS string
	replies  []*message
}

type ephemeral struct {
	channel  string
	user     string
	ts       string
	threadTS string
	text     string
	blocks   json.RawMessage
	edited   int
	via      string
}

type file struct {
	id        string
	name      string
	title     string
	user      string
	length    int    // declared in files.getUploadURLExternal
	uploadKey string // the secret part of the upload URL
	content   []byte // nil when Options.DiscardUploads
	size      int    // bytes uploaded
	uploaded  bool
	completed bool
	channel   string
	threadTS  string
	created   time.Time
}

// channelLocked finds a channel by ID, name or "#name", as chat.postMessage
// accepts all three.
func (s *Server) channelLocked(ref string) *channelState {
	if c, ok := s.channels[ref]; ok {
		return c
	}
	name := strings.TrimPrefix(ref, "#")
	for _, c := range s.channels {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// find finds a top-level message or a thread reply by ts.
func (c *channelState) find(ts string) *message {
	for _, m := range c.messages {
		if m.ts == ts {
			return m
		}
		for _, r := range m.replies {
			if r.ts == ts {
				return r
			}
		}
	}
	return nil
}

// add appends a message, as a reply when threadTS names a parent.
// A reply to a reply joins the parent's thread, as in Slack.
func (c *channelState) add(m *message) {
	if m.threadTS == "" {
		c.messages = append(c.messages, m)
		return
	}
	for _, p := range c.messages {
		if p.ts == m.threadTS {
			p.replies = append(p.replies, m)
			return
		}
	}
}

// threadRoot resolves the thread_ts a client sent to the ts of the thread's
// parent, or "" when no such message exists.
func (c *channelState) threadRoot(ts string) string {
	m := c.find(ts)
	if m == nil {
		return ""
	}
	if m.threadTS != "" {
		return m.threadTS
	}
	return m.ts
}

func (c *channelState) remove(ts string) bool {
	for i, m := range c.messages {
		if m.ts == ts {
			c.messages = slices.Delete(c.messages, i, i+1)
			return true
		}
		for j, r := range m.replies {
			if r.ts == ts {
				m.replies = slices.Delete(m.replies, j, j+1)
				return true
			}
		}
	}
	return false
}

// Messages returns the top-level messages of a channel (by ID or name) in
// order, each with its thread replies and files.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channelLocked(channel)
	if c == nil {
		return nil
	}
	out := make([]Message, 0, len(c.messages))
	for _, m := range c.messages {
		out = append(out, s.snapshotLocked(m))
	}
	return out
}

func (s *Server) snapshotLocked(m *message) Message {
	out := Message{
		Channel:  m.channel,
		TS:       m.ts,
		ThreadTS: m.threadTS,
		User:     m.user,
		Text:     m.text,
		Blocks:   slices.Clone(m.blocks),
		Edited:   m.edited,
	}
	for _, id := range m.files {
		out.Files = append(out.Files, s.fileSnapshotLocked(s.files[id]))
	}
	for _, r := range m.replies {
		out.Replies = append(out.Replies, s.snapshotLocked(r))
	}
	return out
}

// Ephemerals returns what only userID was shown, oldest first.
func (s *Server) Ephemerals(userID string) []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Ephemeral
	for _, e := range s.ephemerals {
		if e.user == userID {
			out = append(out, Ephemeral{
				Channel: e.channel, User: e.user, TS: e.ts, ThreadTS: e.threadTS,
				Text: e.text, Blocks: slices.Clone(e.blocks), Edited: e.edited, Via: e.via,
			})
		}
	}
	return out
}

// Files returns every file whose upload was completed, in completion order.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []File
	for _, id := range s.fileOrder {
		if f := s.files[id]; f.completed {
			out = append(out, s.fileSnapshotLocked(f))
		}
	}
	return out
}

func (s *Server) fileSnapshotLocked(f *file) File {
	return File{
		ID: f.id, Name: f.name, Title: f.title, User: f.user,
		Content: slices.Clone(f.content), Channel: f.channel, ThreadTS: f.threadTS,
		URL: s.fileURLLocked(f),
	}
}

func (s *Server) fileURLLocked(f *file) string {
	return s.baseLocked() + "/files/" + f.id + "/" + pathEscape(f.name)
}

// userName is the handle for a user id, or the id itself if unknown.
func (s *Server) userNameLocked(id string) string {
	if id == s.opts.BotUserID {
		return s.opts.BotName
	}
	if u, ok := s.users[id]; ok {
		return u.Name
	}
	return id
}
