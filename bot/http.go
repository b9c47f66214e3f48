package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"

	"github.com/slack-go/slack"
)

// HTTP paths of the Events/Interactivity transport (the Slack app's
// slash-command, interactivity and event-subscription request URLs).
const (
	PathCommands     = "/slack/commands"
	PathInteractions = "/slack/interactions"
	PathEvents       = "/slack/events"
)

// HTTPHandler serves Slack's HTTP requests. Every request is verified
// (signature over the raw body, timestamp within MaxClockSkew, body within
// MaxBody) before anything else happens; a request that fails is answered
// 401, 400 or 413 and leaves no trace: nothing is queued, claimed or
// replied. A good one is acknowledged with an empty 200 as soon as its work
// is queued; the work runs in the pool Run works. A signed interaction is
// not read before its ack (see serveInteraction). Serve it with ConnState
// as the server's ConnState hook.
func (h *Handler) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathCommands, h.serveCommand)
	mux.HandleFunc("POST "+PathInteractions, h.serveInteraction)
	mux.HandleFunc("POST "+PathEvents, h.serveEvent)
	return mux
}

// ConnState is the http.Server ConnState hook for HTTPHandler's server:
// while requests are in flight on its connections, the pool holds its
// next job for up to AckHold, so acknowledgements go first (see ackGate).
func (h *Handler) ConnState(c net.Conn, s http.ConnState) { h.gate.connState(c, s) }

func (h *Handler) serveCommand(w http.ResponseWriter, r *http.Request) {
	body, ok := h.readVerified(w, r)
	if !ok {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sc, err := slack.SlashCommandParse(r)
	if err == nil && (sc.UserID == "" || sc.Command == "") {
		err = errNotCommand
	}
	if err != nil {
		h.reject(w, r, http.StatusBadRequest, "malformed slash command", err)
		return
	}
	to := Target{ResponseURL: sc.ResponseURL, ChannelID: sc.ChannelID, UserID: sc.UserID}
	keys := []string{commandKey(sc.TeamID, sc.TriggerID, body)}
	h.ack(w, r, func(ctx context.Context) error {
		return h.enqueue(ctx, keys, to, func(ctx context.Context) string { return h.runCommand(ctx, sc) })
	})
}

// serveInteraction acknowledges a click as soon as it is signed and queued:
// the ack path does what the floor does (read the body, check the HMAC) and
// enqueues the body. Reading the form and the payload (Slack sends the whole
// message with every click, often several KB) is the pool's work, so a
// signed request that does not hold a readable block action is answered
// 200 like any other and then dropped with a log line; nothing is claimed
// or replied for it.
func (h *Handler) serveInteraction(w http.ResponseWriter, r *http.Request) {
	body, ok := h.readVerified(w, r)
	if !ok {
		return
	}
	h.ack(w, r, func(ctx context.Context) error {
		return h.submit(ctx, func(ctx context.Context) { h.interaction(ctx, body) })
	})
}

// interaction reads a signed interaction request's body and applies each
// patchgate click in it once.
func (h *Handler) interaction(ctx context.Context, body []byte) {
	form, err := url.ParseQuery(string(body))
	var ic slack.InteractionCallback
	if err == nil {
		ic, err = decodeInteraction([]byte(form.Get("payload")))
	}
	if err != nil {
		h.log.Warn("malformed interaction dropped", "err", err)
		return
	}
	if s, ok := submissionOf(ic); ok {
		to := Target{ChannelID: s.Meta.Channel, UserID: s.Actor}
		h.once(ctx, []string{clickKey(s.Team, s.ID)}, to, func(ctx context.Context) string { return h.dismissSubmitted(ctx, s) })
		return
	}
	if ic.Type != slack.InteractionTypeBlockActions {
		h.log.Debug("interaction ignored", "type", string(ic.Type))
		return
	}
	for _, c := range clicksOf(ic) {
		h.once(ctx, []string{clickKey(c.Team, c.ID)}, c.Target, func(ctx context.Context) string { return h.decide(ctx, c) })
	}
	for _, c := range dailyClicksOf(ic) {
		h.once(ctx, []string{clickKey(c.Team, c.ID)}, c.Target, func(ctx context.Context) string { return h.dailyClick(ctx, c) })
	}
}

// serveEvent answers the Events API's url_verification challenge. The app
// subscribes to no events yet, so any other event is acknowledged and
// dropped.
func (h *Handler) serveEvent(w http.ResponseWriter, r *http.Request) {
	body, ok := h.readVerified(w, r)
	if !ok {
		return
	}
	var ev struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.Type == "" {
		h.reject(w, r, http.StatusBadRequest, "malformed event", err)
		return
	}
	if ev.Type == "url_verification" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, ev.Challenge)
		return
	}
	h.log.Debug("Slack event ignored", "type", ev.Type)
	w.WriteHeader(http.StatusOK)
}

// ack queues the request's work and answers 200 with an empty body. If the
// queue stays full for QueueWait, or shutdown began, it answers 503 so
// Slack shows the person an error instead of silently dropping the work.
func (h *Handler) ack(w http.ResponseWriter, r *http.Request, queue func(ctx context.Context) error) {
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.QueueWait)
	defer cancel()
	if err := queue(ctx); err != nil {
		h.log.Warn("Slack request not queued", "path", r.URL.Path, "err", err)
		http.Error(w, "busy; try again", http.StatusServiceUnavailable)
		return
	}
	if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
		h.log.Info("Slack retry queued; its claim key de-duplicates it", "path", r.URL.Path,
			"retry", n, "reason", r.Header.Get("X-Slack-Retry-Reason"))
	}
	w.WriteHeader(http.StatusOK)
}
