package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/bot/sandbox"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

const testSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// fakeEngine records what the handler asks of the engine.
type fakeEngine struct {
	mu      sync.Mutex
	starts  []string // tenant/requester
	decides []runbooks.Decision
	tenants []runbooks.Tenant
	active  []*runbooks.Cycle
	cycles  map[string]*runbooks.Cycle
	// decideErr, when set, refuses every decision.
	decideErr error
	// gate, when set, holds every Decide until it is closed.
	gate    chan struct{}
	entered chan struct{} // receives once per Decide call, if set
}

var _ Engine = (*fakeEngine)(nil)

func newFakeEngine() *fakeEngine {
	return &fakeEngine{
		tenants: []runbooks.Tenant{{Name: "acme-cu"}, {Name: "bayview-cu"}},
		cycles:  map[string]*runbooks.Cycle{},
	}
}

func (f *fakeEngine) Start(ctx context.Context, tenant, who string) (*runbooks.Cycle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts = append(f.starts, tenant+"/"+who)
	return &runbooks.Cycle{ID: tenant + "-20261122-0200-abc123", Tenant: tenant, Requester: who,
		Status: runbooks.StatusRunning, Stages: []runbooks.Stage{
			{Name: "preflight", Kind: runbooks.KindPreflight},
			{Name: "nonprod", Kind: runbooks.KindEnvironment, Env: "nonprod"}}}, nil
}

func (f *fakeEngine) Decide(ctx context.Context, d runbooks.Decision) (runbooks.Outcome, error) {
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return runbooks.Outcome{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.decides = append(f.decides, d)
	if f.decideErr != nil {
		return runbooks.Outcome{}, f.decideErr
	}
	return runbooks.Outcome{Message: fmt.Sprintf("%s recorded.", d.Action)}, nil
}

func (f *fakeEngine) Get(ctx context.Context, id string) (*runbooks.Cycle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.cycles[id]; ok {
		return c, nil
	}
	return nil, runbooks.Errorf(runbooks.CodeNotFound, "no cycle %q", id)
}

func (f *fakeEngine) Active(ctx context.Context) ([]*runbooks.Cycle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.active, nil
}

func (f *fakeEngine) Tenants() []runbooks.Tenant { return f.tenants }

func (f *fakeEngine) calls() (starts []string, decides []runbooks.Decision) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.starts...), append([]runbooks.Decision(nil), f.decides...)
}

// claimStore is a real bbolt store that remembers every Claim key.
type claimStore struct {
	state.Store
	mu     sync.Mutex
	claims []string
}

func (s *claimStore) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	s.claims = append(s.claims, key)
	s.mu.Unlock()
	return s.Store.Claim(ctx, key, ttl)
}

func (s *claimStore) claimed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.claims...)
}

// replySink stands in for Slack's response_url endpoint.
type replySink struct {
	srv     *httptest.Server
	mu      sync.Mutex
	replies []sinkReply
	got     chan sinkReply
}

type sinkReply struct {
	Path string
	Body map[string]any
}

func newReplySink(t testing.TB) *replySink {
	t.Helper()
	s := &replySink{got: make(chan sinkReply, 1024)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("reply body is not JSON: %q", b)
		}
		rep := sinkReply{Path: r.URL.Path, Body: body}
		s.mu.Lock()
		s.replies = append(s.replies, rep)
		s.mu.Unlock()
		s.got <- rep
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *replySink) url(name string) string { return s.srv.URL + "/hooks/" + name }

func (s *replySink) all() []sinkReply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sinkReply(nil), s.replies...)
}

// next waits for the next reply.
func (s *replySink) next(t testing.TB) sinkReply {
	t.Helper()
	select {
	case r := <-s.got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no ephemeral reply arrived")
	}
	return sinkReply{}
}

// rig is a Handler served over HTTP with a fake engine, a real store and a
// response_url sink.
type rig struct {
	h      *Handler
	srv    *httptest.Server
	eng    *fakeEngine
	store  *claimStore
	sink   *replySink
	cancel context.CancelFunc
	done   chan struct{}
}

func newRig(t *testing.T, opts HandlerOptions) *rig {
	t.Helper()
	r := &rig{eng: newFakeEngine(), store: &claimStore{Store: openBolt(t)}, sink: newReplySink(t)}
	if opts.SigningSecret == "" {
		opts.SigningSecret = testSecret
	}
	opts.Log = inboundLog(t)
	r.h = NewHandler(r.eng, r.store, NewResponseURLReplier(r.sink.srv.Client(), nil), opts)
	r.srv = newHTTPTestServer(t, r.h)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	go func() { defer close(r.done); _ = r.h.Run(ctx) }()
	t.Cleanup(r.stop)
	return r
}

// stop ends Run and waits for the pool to drain.
func (r *rig) stop() {
	r.cancel()
	<-r.done
}

// testLog sends the handler's logs to the test's output.
func inboundLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(inboundLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type inboundLogWriter struct{ t testing.TB }

func (w inboundLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// slackSign returns Slack's signature headers for body at time ts.
func slackSign(secret string, ts time.Time, body string) http.Header {
	return sandbox.SignedHeaders(secret, ts, body)
}

// post sends body to path with headers and returns the status.
func postSigned(t testing.TB, base, path string, hdr http.Header, body string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK && path != PathEvents && len(b) != 0 {
		t.Errorf("ack body = %q, want empty", b)
	}
	return resp.StatusCode
}

// commandForm is a slash command as Slack posts it.
func commandForm(text, user, trigger, responseURL string) string {
	return url.Values{
		"token": {"legacy"}, "team_id": {"T1"}, "team_domain": {"acme"}, "channel_id": {"C1"},
		"channel_name": {"patching"}, "user_id": {user}, "user_name": {"someone"}, "command": {"/patch"},
		"text": {text}, "response_url": {responseURL}, "trigger_id": {trigger}, "api_app_id": {"A1"},
	}.Encode()
}

// clickPayload is a block_actions payload as Slack sends it.
func clickPayload(value, user, actionTS, responseURL string) string {
	p := map[string]any{
		"type": "block_actions", "team": map[string]any{"id": "T1", "domain": "acme"},
		"user":       map[string]any{"id": user, "username": "someone", "team_id": "T1"},
		"api_app_id": "A1", "token": "legacy", "trigger_id": "trig-" + actionTS,
		"container":    map[string]any{"type": "message", "message_ts": "1700000000.000100", "channel_id": "C1", "is_ephemeral": false},
		"channel":      map[string]any{"id": "C1", "name": "patching"},
		"message":      map[string]any{"type": "message", "ts": "1700000000.000100", "text": "cycle", "blocks": rootBlocks(value)},
		"response_url": responseURL,
		"actions": []any{map[string]any{
			"action_id": "patchgate.approve", "block_id": "cycle-actions", "type": "button",
			"text": map[string]any{"type": "plain_text", "text": "Approve"}, "value": value, "action_ts": actionTS,
		}},
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// rootBlocks is a cycle's root message as Slack echoes it back in a
// block_actions payload: the whole message, every block, comes along.
func rootBlocks(value string) []any {
	text := func(t, s string) map[string]any { return map[string]any{"type": t, "text": s} }
	var fields []any
	for _, f := range []string{"*Tenant*\nAcme Credit Union", "*Requested by*\n<@U0REQ>", "*Scope*\n1,200 hosts: AWS 700 · Azure 300 · GCP 200",
		"*Unmanaged*\n3", "*Excluded*\n0", "*Revision*\n12"} {
		fields = append(fields, text("mrkdwn", f))
	}
	var buttons []any
	for _, a := range []string{"approve", "reject", "halt", "retry", "proceed-with-exclusions"} {
		buttons = append(buttons, map[string]any{"type": "button", "action_id": "patchgate." + a, "text": text("plain_text", a), "value": value})
	}
	return []any{
		map[string]any{"type": "header", "block_id": "h", "text": text("plain_text", "Patch cycle acme-cu-20261122-0200-1a2b3c")},
		map[string]any{"type": "section", "block_id": "f", "fields": fields},
		map[string]any{"type": "context", "block_id": "p", "elements": []any{text("mrkdwn", "preflight ✅ → *nonprod* ⏳ awaiting approval (0/1) → staging → production → report")}},
		map[string]any{"type": "section", "block_id": "g", "text": text("mrkdwn", "Inventory: 1,200 hosts, 3 unmanaged agents listed in the thread; sensor check passed on 1,197 hosts")},
		map[string]any{"type": "divider", "block_id": "d"},
		map[string]any{"type": "actions", "block_id": "cycle-actions", "elements": buttons},
	}
}

func clickForm(payload string) string { return url.Values{"payload": {payload}}.Encode() }

// buttonValue renders a button's value as the outbound half does.
func buttonValue(cycle, stage string, action runbooks.DecisionAction, rev int64) string {
	return EncodeButtonValue(ButtonValue{Cycle: cycle, Stage: stage, Action: action, Revision: rev})
}

// waitFor polls cond until it holds; 10 s bounds a broken build.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, what, cond)
}

func newTestServer(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// runUntilCleanup runs h's pool; the returned stop (also run at cleanup)
// ends it and waits for the drain.
func runUntilCleanup(t testing.TB, h *Handler) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = h.Run(ctx) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

type rawResponse struct {
	status int
	body   string
}

func postRaw(t testing.TB, u string, hdr http.Header, body string) rawResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = hdr
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResponse{resp.StatusCode, string(b)}
}

// newHTTPTestServer serves h as cmd/patchgate does: HTTPHandler, with
// ConnState as the server's hook.
func newHTTPTestServer(t testing.TB, h *Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h.HTTPHandler())
	srv.Config.ConnState = h.ConnState
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}
