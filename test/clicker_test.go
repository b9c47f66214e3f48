package test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/bot/sandbox"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// clicker presses patchgate buttons through the bot's real HTTP handler,
// signed as Slack signs them, and collects the ephemeral replies.
type clicker struct {
	handler http.Handler
	secret  string
	replies chan string
	n       int
}

type replyCollector chan string

func (r replyCollector) ReplyEphemeral(_ context.Context, _ bot.Target, text string) error {
	r <- text
	return nil
}

func newClicker(t *testing.T, eng bot.Engine, st state.Store) *clicker {
	t.Helper()
	c := &clicker{secret: "test-signing-secret", replies: make(chan string, 16)}
	h := bot.NewHandler(eng, st, replyCollector(c.replies), bot.HandlerOptions{
		SigningSecret: c.secret, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = h.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	c.handler = h.HTTPHandler()
	return c
}

// click sends one block_actions request and waits for its reply.
func (c *clicker) click(t *testing.T, cycle, stage string, action runbooks.DecisionAction, user string, rev int64) string {
	t.Helper()
	c.n++
	value := bot.EncodeButtonValue(bot.ButtonValue{Cycle: cycle, Stage: stage, Action: action, Revision: rev})
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": user},
		"container":    map[string]any{"type": "message", "message_ts": "outage." + strconv.Itoa(c.n), "channel_id": "C1"},
		"channel":      map[string]any{"id": "C1"},
		"response_url": "https://hooks.slack.test/actions/T1/1/x",
		"actions": []any{map[string]any{"action_id": bot.ActionID(action), "block_id": "b", "type": "button",
			"value": value, "action_ts": strconv.Itoa(c.n)}},
	})
	body := url.Values{"payload": {string(payload)}}.Encode()
	req := httptest.NewRequest(http.MethodPost, bot.PathInteractions, strings.NewReader(body))
	req.Header = sandbox.SignedHeaders(c.secret, time.Now(), body)
	rec := httptest.NewRecorder()
	c.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("click answered %d: %s", rec.Code, rec.Body)
	}
	select {
	case r := <-c.replies:
		return r
	case <-time.After(60 * time.Second):
		t.Fatal("no reply to the click within 60 s")
		return ""
	}
}
