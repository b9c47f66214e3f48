package sandbox

import (
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ui_state.go is the page's view of the workspace: one channel as one
// user sees it, each message rendered to HTML.

// longPoll bounds how long /ui/state waits for a change before answering
// anyway.
const longPoll = 25 * time.Second

type uiState struct {
	Version  uint64      `json:"version"`
	Team     string      `json:"team"`
	User     string      `json:"user"`
	Channel  string      `json:"channel"`
	Users    []uiUser    `json:"users"`
	Channels []uiChannel `json:"channels"`
	Commands []string    `json:"commands"`
	Items    []uiItem    `json:"items"`
}

type uiUser struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Real string `json:"real"`
	Role string `json:"role"`
}

type uiChannel struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// uiItem is one top-level entry of the channel as the viewer sees it.
type uiItem struct {
	TS        string `json:"ts"`
	Ephemeral bool   `json:"ephemeral"`
	Text      string `json:"text"`
	Edited    int    `json:"edited"`
	Replies   int    `json:"replies"`
	HTML      string `json:"html"`
}

// serveUIState answers the page's long poll: with since=N it waits while
// the workspace is still at version N (at most 25 s).
func (s *Server) serveUIState(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, _ := strconv.ParseUint(q.Get("since"), 10, 64)
	s.mu.Lock()
	// Only an up-to-date page waits; one that is ahead (the sandbox was
	// restarted under it) or behind gets the state at once.
	if q.Has("since") && s.version == since {
		changed := s.changed
		s.mu.Unlock()
		t := time.NewTimer(longPoll)
		select {
		case <-changed:
		case <-t.C:
		case <-r.Context().Done():
		case <-s.done:
		}
		t.Stop()
		s.mu.Lock()
	}
	st := s.stateLocked(q.Get("user"), q.Get("channel"))
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) stateLocked(viewer, channel string) uiState {
	st := uiState{Version: s.version, Team: s.opts.Team.Name, Commands: s.opts.Commands}
	for _, u := range s.opts.Users {
		st.Users = append(st.Users, uiUser(u))
	}
	for _, c := range s.opts.Channels {
		st.Channels = append(st.Channels, uiChannel{ID: c.ID, Name: c.Name})
	}
	if _, ok := s.users[viewer]; !ok && len(s.opts.Users) > 0 {
		viewer = s.opts.Users[0].ID
	}
	c := s.channelLocked(channel)
	if c == nil && len(s.opts.Channels) > 0 {
		c = s.channels[s.opts.Channels[0].ID]
	}
	st.User = viewer
	if c == nil {
		return st
	}
	st.Channel = c.ID
	dir := lockedDirectory{s}
	for _, m := range c.messages {
		st.Items = append(st.Items, uiItem{
			TS: m.ts, Text: m.text, Edited: m.edited, Replies: len(m.replies),
			HTML: s.renderMessageLocked(m, viewer, dir),
		})
	}
	// The viewer's ephemerals outside threads sit among the messages by ts.
	for _, e := range s.ephemerals {
		if e.user == viewer && e.channel == c.ID && e.threadTS == "" {
			st.Items = append(st.Items, uiItem{
				TS: e.ts, Ephemeral: true, Text: e.text, Edited: e.edited,
				HTML: s.renderEphemeralLocked(e, dir),
			})
		}
	}
	sortItems(st.Items)
	return st
}

func sortItems(items []uiItem) {
	// ts strings of equal length sort as numbers; Slack's always have 10.6 digits.
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].TS < items[j-1].TS; j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}

func (s *Server) renderMessageLocked(m *message, viewer string, dir directory) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, `<div class="msg" id="msg-%s" data-ts="%s" data-channel="%s" data-user="%s" data-edited="%d">`,
		tsID(m.ts), m.ts, m.channel, html.EscapeString(m.user), m.edited)
	sb.WriteString(s.metaLocked(m.user, m.ts, m.edited > 0, false))
	sb.WriteString(`<div class="msg-body">`)
	if m.text != "" || len(m.blocks) > 0 {
		sb.WriteString(renderBody(m.text, m.blocks, buttonScope{channel: m.channel, ts: m.ts}, dir))
	}
	sb.WriteString(`</div>`)
	for _, id := range m.files {
		f := s.files[id]
		if strings.EqualFold(fileExt(f.name), ".png") {
			// Slack previews an image inline; so does the sandbox.
			fmt.Fprintf(&sb, `<img class="file-image" data-file-id="%s" src="%s" alt="%s">`,
				f.id, html.EscapeString("/files/"+f.id+"/"+pathEscape(f.name)), html.EscapeString(f.title))
		}
		fmt.Fprintf(&sb, `<a class="file" data-file-id="%s" href="%s" download>📎 %s <span class="file-meta">%s, %d bytes</span></a>`,
			f.id, html.EscapeString("/files/"+f.id+"/"+pathEscape(f.name)), html.EscapeString(f.title), html.EscapeString(f.name), f.size)
	}
	if m.threadTS == "" {
		var replies []string
		for _, r := range m.replies {
			replies = append(replies, s.renderMessageLocked(r, viewer, dir))
		}
		for _, e := range s.ephemerals {
			if e.user == viewer && e.channel == m.channel && e.threadTS == m.ts {
				replies = append(replies, s.renderEphemeralLocked(e, dir))
			}
		}
		if len(replies) > 0 {
			fmt.Fprintf(&sb, `<details class="thread" data-thread-ts="%s"><summary>%d %s</summary><div class="replies">%s</div></details>`,
				m.ts, len(m.replies), plural(len(m.replies), "reply", "replies"), strings.Join(replies, ""))
		}
	}
	sb.WriteString(`</div>`)
	return sb.String()
}

func (s *Server) renderEphemeralLocked(e *ephemeral, dir directory) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, `<div class="msg ephemeral" id="eph-%s" data-ts="%s" data-channel="%s" data-ephemeral="true" data-edited="%d">`,
		tsID(e.ts), e.ts, e.channel, e.edited)
	sb.WriteString(s.metaLocked(s.opts.BotUserID, e.ts, e.edited > 0, true))
	sb.WriteString(`<div class="msg-body">` + renderBody(e.text, e.blocks, buttonScope{channel: e.channel, ts: e.ts, ephemeral: true}, dir) + `</div></div>`)
	return sb.String()
}

func (s *Server) metaLocked(user, ts string, edited, ephemeral bool) string {
	var sb strings.Builder
	sb.WriteString(`<div class="msg-meta"><span class="msg-author">` + html.EscapeString(s.userNameLocked(user)) + `</span>`)
	if user == s.opts.BotUserID {
		sb.WriteString(`<span class="app-badge">APP</span>`)
	}
	sb.WriteString(`<span class="msg-time">` + tsClockTime(ts) + `</span>`)
	if edited {
		sb.WriteString(`<span class="msg-edited">(edited)</span>`)
	}
	if ephemeral {
		sb.WriteString(`<span class="only-you">Only visible to you</span>`)
	}
	return sb.String() + `</div>`
}

// tsID makes a ts usable in an element id.
func tsID(ts string) string { return strings.ReplaceAll(ts, ".", "-") }

func tsClockTime(ts string) string {
	sec, _, _ := strings.Cut(ts, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return ""
	}
	return time.Unix(n, 0).UTC().Format("15:04:05")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// lockedDirectory resolves names while the caller holds s.mu.
type lockedDirectory struct{ s *Server }

func (d lockedDirectory) userName(id string) string { return d.s.userNameLocked(id) }

func (d lockedDirectory) channelName(id string) string {
	if c := d.s.channels[id]; c != nil {
		return c.Name
	}
	return id
}

func (d lockedDirectory) groupHandle(id string) string {
	if g, ok := d.s.groups[id]; ok {
		return g.Handle
	}
	return id
}
