package bot

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// socketServer is the least of Slack's Socket Mode a client needs:
// apps.connections.open, and one websocket that says hello, carries the
// envelopes the test sends and reports the acks that come back.
type socketServer struct {
	srv   *httptest.Server
	conns chan *websocket.Conn
	acks  chan string // envelope IDs, in the order acknowledged
}

func newSocketServer(t *testing.T) *socketServer {
	t.Helper()
	s := &socketServer{conns: make(chan *websocket.Conn, 4), acks: make(chan string, 64)}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }} // slack-go sends Origin: https://api.slack.com
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer xapp-1-test" {
			_, _ = io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/ws"})
	})
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		if err := c.WriteJSON(map[string]any{"type": "hello", "num_connections": 1,
			"connection_info": map[string]any{"app_id": "A1"}}); err != nil {
			return
		}
		go func() {
			for {
				var ack struct {
					EnvelopeID string `json:"envelope_id"`
				}
				if err := c.ReadJSON(&ack); err != nil {
					return
				}
				s.acks <- ack.EnvelopeID
			}
		}()
		s.conns <- c
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// client is a real slack-go Socket Mode client pointed at the server.
func (s *socketServer) client() *socketmode.Client {
	api := slack.New("xoxb-test", slack.OptionAppLevelToken("xapp-1-test"), slack.OptionAPIURL(s.srv.URL+"/api/"))
	return socketmode.New(api, socketmode.OptionLog(log.New(io.Discard, "", 0)))
}

func envelope(id, typ string, payload string, retry int) map[string]any {
	return map[string]any{"envelope_id": id, "type": typ, "payload": json.RawMessage(payload),
		"accepts_response_payload": typ == "slash_commands", "retry_attempt": retry, "retry_reason": ""}
}

func (s *socketServer) ack(t *testing.T) string {
	t.Helper()
	select {
	case id := <-s.acks:
		return id
	case <-time.After(10 * time.Second):
		t.Fatal("no ack")
	}
	return ""
}

func TestSocketModeAcksFirstAndDeduplicates(t *testing.T) {
	ss := newSocketServer(t)
	eng := newFakeEngine()
	eng.gate, eng.entered = make(chan struct{}), make(chan struct{}, 8)
	store := &claimStore{Store: openBolt(t)}
	sink := newReplySink(t)
	h := NewHandler(eng, store, NewResponseURLReplier(sink.srv.Client(), nil), HandlerOptions{Log: inboundLog(t)})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var runErr error
	wg.Go(func() { runErr = h.RunSocketMode(ctx, ss.client()) })
	var conn *websocket.Conn
	select {
	case conn = <-ss.conns:
	case <-time.After(10 * time.Second):
		t.Fatal("the client never connected")
	}

	click := clickPayload(buttonValue("acme-cu-1", "nonprod", runbooks.Approve, 2), "U-ALICE", "1700000009.000001", sink.url("click"))
	if err := conn.WriteJSON(envelope("env-1", "interactive", click, 0)); err != nil {
		t.Fatal(err)
	}
	if id := ss.ack(t); id != "env-1" {
		t.Fatalf("acked %q", id)
	}
	if !h.Connected() {
		t.Fatal("an envelope came in but Connected() is false")
	}
	// Acknowledged while the engine has not decided (it is held).
	if _, decides := eng.calls(); len(decides) != 0 {
		t.Fatal("decided before the ack")
	}
	<-eng.entered
	close(eng.gate)
	if rep := sink.next(t); rep.Body["text"] != "approve recorded." || rep.Body["response_type"] != "ephemeral" {
		t.Fatalf("reply %v", rep.Body)
	}

	// Slack re-sends the same envelope, then the same click in a new
	// envelope: both are acknowledged, neither decides again.
	for _, env := range []map[string]any{envelope("env-1", "interactive", click, 1), envelope("env-2", "interactive", click, 0)} {
		if err := conn.WriteJSON(env); err != nil {
			t.Fatal(err)
		}
		if id := ss.ack(t); id != env["envelope_id"] {
			t.Fatalf("acked %q, want %q", id, env["envelope_id"])
		}
	}
	cmd, _ := json.Marshal(map[string]any{"team_id": "T1", "channel_id": "C1", "user_id": "U-REQ", "command": "/patch",
		"text": "start acme-cu", "response_url": sink.url("cmd"), "trigger_id": "trig-sm"})
	for _, id := range []string{"env-3", "env-3"} {
		if err := conn.WriteJSON(envelope(id, "slash_commands", string(cmd), 0)); err != nil {
			t.Fatal(err)
		}
		if got := ss.ack(t); got != id {
			t.Fatalf("acked %q", got)
		}
	}
	if rep := sink.next(t); rep.Path != "/hooks/cmd" || !strings.Contains(rep.Body["text"].(string), "Started cycle") {
		t.Fatalf("command reply %+v", rep)
	}
	// Claims stop at a delivery's first taken key: 2 for env-1, 1 for its
	// copy, 2 for env-2, 2+1 for the two env-3.
	waitFor(t, "every delivery to be claimed", func() bool { return len(store.claimed()) == 8 })

	cancel()
	wg.Wait()
	if runErr != nil {
		t.Fatalf("RunSocketMode: %v", runErr)
	}
	if h.Connected() {
		t.Fatal("Connected() still true after RunSocketMode returned")
	}
	starts, decides := eng.calls()
	if len(decides) != 1 || len(starts) != 1 {
		t.Fatalf("decides %d starts %d, want 1 each", len(decides), len(starts))
	}
	if n := len(sink.all()); n != 2 {
		t.Fatalf("%d replies, want 2", n)
	}
}

// A client that cannot connect ends RunSocketMode with an error.
func TestSocketModeReturnsWhenTheClientGivesUp(t *testing.T) {
	ss := newSocketServer(t)
	api := slack.New("xoxb-test", slack.OptionAppLevelToken("xapp-1-WRONG"), slack.OptionAPIURL(ss.srv.URL+"/api/"))
	h := NewHandler(newFakeEngine(), openBolt(t), NewResponseURLReplier(nil, nil), HandlerOptions{Log: inboundLog(t)})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := h.RunSocketMode(ctx, socketmode.New(api, socketmode.OptionLog(log.New(io.Discard, "", 0))))
	if err == nil || ctx.Err() != nil {
		t.Fatalf("RunSocketMode = %v (ctx %v), want the client's error before the deadline", err, ctx.Err())
	}
	if h.Connected() {
		t.Fatal("Connected() true for a client that never connected")
	}
	if err := h.Run(context.Background()); err != ErrAlreadyRunning {
		t.Fatalf("second run: %v", err)
	}
}
