package sandbox

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// webFS holds the page: plain HTML, CSS and a small script, no build step
// and nothing fetched from the network.
//
//go:embed static
var webFS embed.FS

func (s *Server) serveIndex(w http.ResponseWriter, r *http.Request) {
	page, err := webFS.ReadFile("static/index.html")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(page)
}

// uiRequest is what the page POSTs for a command or a click.
type uiRequest struct {
	User     string `json:"user"`
	Channel  string `json:"channel"`
	Text     string `json:"text"`
	TS       string `json:"ts"`
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
}

// serveUICommand sends what was typed in the /patch box as a slash command
// from the selected user, and reports Slack's own wording when it fails.
func (s *Server) serveUICommand(w http.ResponseWriter, r *http.Request) {
	var req uiRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "bad request: " + err.Error()})
		return
	}
	text := strings.TrimSpace(req.Text)
	if !strings.HasPrefix(text, "/") {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "Only slash commands can be sent from the sandbox page, e.g. /patch help"})
		return
	}
	cmd, _, _ := strings.Cut(text, " ")
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.AckTimeout)
	defer cancel()
	err := s.SlashCommand(ctx, req.User, req.Channel, text)
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	case errors.Is(err, ErrUnknownCommand):
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": cmd + " is not a valid command. In Slack, all messages that start with \"/\" are interpreted as commands."})
	case errors.Is(err, context.DeadlineExceeded):
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": cmd + " failed with the error \"operation_timeout\""})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": err.Error()})
	}
}

// serveUIClick turns a click on the page into a block_actions envelope.
func (s *Server) serveUIClick(w http.ResponseWriter, r *http.Request) {
	var req uiRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "bad request: " + err.Error()})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.AckTimeout)
	defer cancel()
	err := s.Click(ctx, req.User, req.Channel, req.TS, req.ActionID, req.Value)
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	case errors.Is(err, context.DeadlineExceeded):
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "The app did not respond in time (operation_timeout)."})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": err.Error()})
	}
}
