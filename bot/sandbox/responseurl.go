package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// responseTarget is what a response_url answers: the user who typed the
// command or clicked, where, and for a click the message clicked in.
type responseTarget struct {
	user            string
	channel         string
	threadTS        string
	originTS        string // the message a button was clicked in
	originEphemeral bool
	lastEphemeral   string // the last ephemeral this URL posted (for a command's replace_original)
	uses            int
}

// maxResponseUses is how many times Slack lets a response_url be used.
const maxResponseUses = 5

// responseBody is what a client POSTs to a response_url (and what a slash
// command's ack payload may carry).
type responseBody struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
}

// errResponseURL marks a response_url that is unknown or used up.
var errResponseURL = errors.New("used_url")

func (s *Server) newResponseURLLocked(kind string, t *responseTarget) (url, path string) {
	path = fmt.Sprintf("/hooks/%s/%s/%d/%s", kind, s.opts.Team.ID, s.seq, randomHex(12))
	s.responseURLs[path] = t
	return s.baseLocked() + path, path
}

func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_payload"})
		return
	}
	s.mu.Lock()
	err = s.respondLocked(r.URL.Path, body, "response_url")
	s.mu.Unlock()
	var ae *apiError
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	case errors.Is(err, errResponseURL):
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "used_url"})
	case errors.As(err, &ae):
		writeJSON(w, http.StatusBadRequest, errorBody(ae))
	default:
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_payload"})
	}
}

// respondLocked applies a response: replace or delete the original, post
// in the channel, or (the default) show it only to the user.
// via records where an ephemeral came from: "response_url" or "ack".
func (s *Server) respondLocked(path string, raw []byte, via string) error {
	t := s.responseURLs[path]
	if t == nil || t.uses >= maxResponseUses {
		return errResponseURL
	}
	var b responseBody
	if err := json.Unmarshal(raw, &b); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	var blocks json.RawMessage
	if len(b.Blocks) > 0 && string(b.Blocks) != "null" {
		var e *apiError
		if blocks, e = normalizeBlocks(string(b.Blocks)); e != nil {
			return e
		}
		if string(blocks) == "[]" {
			blocks = nil
		}
	}
	if !b.DeleteOriginal && b.Text == "" && blocks == nil {
		return errCode("no_text")
	}
	t.uses++
	defer s.bumpLocked()
	switch {
	case b.DeleteOriginal:
		s.deleteOriginalLocked(t)
		return nil
	case b.ReplaceOriginal && s.replaceOriginalLocked(t, b.Text, blocks):
		return nil
	case b.ResponseType == "in_channel":
		c := s.channels[t.channel]
		thread := t.threadTS
		if b.ThreadTS != "" {
			thread = c.threadRoot(b.ThreadTS)
		}
		c.add(&message{
			channel: c.ID, ts: s.clock.next(), threadTS: thread, user: s.opts.BotUserID,
			botID: s.opts.BotID, text: b.Text, blocks: blocks,
		})
		return nil
	default:
		e := s.addEphemeralLocked(t.channel, t.user, t.threadTS, b.Text, blocks, via)
		t.lastEphemeral = e.ts
		return nil
	}
}

// original is the message a response replaces or deletes: the clicked one,
// or for a command the last ephemeral its response_url posted.
func (s *Server) originalLocked(t *responseTarget) (m *message, e *ephemeral) {
	switch {
	case t.originTS != "" && !t.originEphemeral:
		return s.channels[t.channel].find(t.originTS), nil
	case t.originTS != "":
		return nil, s.ephemeralLocked(t.channel, t.user, t.originTS)
	case t.lastEphemeral != "":
		return nil, s.ephemeralLocked(t.channel, t.user, t.lastEphemeral)
	}
	return nil, nil
}

func (s *Server) replaceOriginalLocked(t *responseTarget, text string, blocks json.RawMessage) bool {
	m, e := s.originalLocked(t)
	switch {
	case m != nil:
		m.text, m.blocks = text, blocks
		m.edited++
		m.editedTS = s.clock.next()
	case e != nil:
		e.text, e.blocks = text, blocks
		e.edited++
	default:
		return false
	}
	return true
}

func (s *Server) deleteOriginalLocked(t *responseTarget) {
	m, e := s.originalLocked(t)
	if m != nil {
		s.channels[t.channel].remove(m.ts)
	}
	if e != nil {
		for i, x := range s.ephemerals {
			if x == e {
				s.ephemerals = append(s.ephemerals[:i], s.ephemerals[i+1:]...)
				break
			}
		}
	}
}
