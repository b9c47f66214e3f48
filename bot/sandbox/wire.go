package sandbox

import (
	"encoding/json"
	"mime"
	"net/url"
	"path"
	"strings"
)

// wireMessage is a message object as Slack returns it from chat.* methods
// and puts in interaction payloads.
type wireMessage struct {
	Type     string          `json:"type"`
	Subtype  string          `json:"subtype,omitempty"`
	Text     string          `json:"text"`
	User     string          `json:"user,omitempty"`
	BotID    string          `json:"bot_id,omitempty"`
	AppID    string          `json:"app_id,omitempty"`
	Team     string          `json:"team,omitempty"`
	TS       string          `json:"ts"`
	ThreadTS string          `json:"thread_ts,omitempty"`
	Blocks   json.RawMessage `json:"blocks,omitempty"`
	Edited   *wireEdited     `json:"edited,omitempty"`
	Files    []wireFile      `json:"files,omitempty"`
	Upload   bool            `json:"upload,omitempty"`
}

type wireEdited struct {
	User string `json:"user"`
	TS   string `json:"ts"`
}

// wireFile is the subset of Slack's file object that slack.File decodes
// and a client would look at.
type wireFile struct {
	ID                 string `json:"id"`
	Created            int64  `json:"created"`
	Timestamp          int64  `json:"timestamp"`
	Name               string `json:"name"`
	Title              string `json:"title"`
	Mimetype           string `json:"mimetype"`
	Filetype           string `json:"filetype"`
	PrettyType         string `json:"pretty_type"`
	User               string `json:"user"`
	Mode               string `json:"mode"`
	Size               int    `json:"size"`
	URLPrivate         string `json:"url_private"`
	URLPrivateDownload string `json:"url_private_download"`
}

func (s *Server) wireMessageLocked(m *message) wireMessage {
	w := wireMessage{
		Type:     "message",
		Text:     m.text,
		User:     m.user,
		BotID:    m.botID,
		Team:     s.opts.Team.ID,
		TS:       m.ts,
		ThreadTS: m.threadTS,
		Blocks:   m.blocks,
		Upload:   m.upload,
	}
	if m.botID != "" {
		w.AppID = s.opts.AppID
	}
	if m.edited > 0 {
		w.Edited = &wireEdited{User: m.user, TS: m.editedTS}
	}
	for _, id := range m.files {
		w.Files = append(w.Files, s.wireFileLocked(s.files[id]))
	}
	return w
}

func (s *Server) wireFileLocked(f *file) wireFile {
	ext := strings.TrimPrefix(path.Ext(f.name), ".")
	mt := mime.TypeByExtension(path.Ext(f.name))
	if mt == "" {
		mt = "application/octet-stream"
	}
	mt, _, _ = strings.Cut(mt, ";")
	u := s.fileURLLocked(f)
	return wireFile{
		ID: f.id, Created: f.created.Unix(), Timestamp: f.created.Unix(),
		Name: f.name, Title: f.title, Mimetype: mt, Filetype: ext,
		PrettyType: strings.ToUpper(ext), User: f.user, Mode: "hosted",
		Size: f.size, URLPrivate: u, URLPrivateDownload: u + "?download=1",
	}
}

func pathEscape(s string) string { return url.PathEscape(s) }
