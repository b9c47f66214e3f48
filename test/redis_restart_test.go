package test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/bot/sandbox"
	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/metrics"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/redisstore"
	"github.com/patchgate/patchgate/state/redisstore/redistest"
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

// stopOnStaging is a Patcher that stops Redis right after the first staging
// patch has been sent: the provider has the operation, the engine has not
// yet recorded its handle. That is the worst moment for an outage.
type stopOnStaging struct {
	runbooks.Patcher
	once sync.Once
	stop func()
	hit  chan string // the cycle whose step was cut off
}

func (p *stopOnStaging) StartPatch(ctx context.Context, req runbooks.OpRequest) (string, error) {
	h, err := p.Patcher.StartPatch(ctx, req)
	if err == nil && req.Env == "staging" {
		p.once.Do(func() { p.stop(); p.hit <- req.Cycle })
	}
	return h, err
}

// TestRedisRestartMidCycle stops a real redis-server (AOF, fsync always),
// gracefully (SIGTERM) or not (SIGKILL), between a provider call and the
// write that records it, checks that
// decisions during the outage are refused with "try again" and change
// nothing, restarts Redis on the same socket and directory, and checks the
// cycles finish with every operation sent exactly once and every audit
// chain intact.
func TestRedisRestartMidCycle(t *testing.T) {
	for _, how := range []string{"sigterm", "sigkill"} {
		t.Run(how, func(t *testing.T) { redisRestartMidCycle(t, how) })
	}
}

func redisRestartMidCycle(t *testing.T, how string) {
	ctx := context.Background()
	srv := redistest.StartServer(t, redistest.ServerOptions{AOF: true})
	stop := srv.Stop
	if how == "sigkill" {
		stop = srv.Kill
	}
	st, err := redisstore.Open(ctx, redisstore.Options{Network: "unix", Addr: srv.Socket, Prefix: "restart"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })

	tenants := sim.GenerateTenants(2, 17)
	stopper := &stopOnStaging{stop: stop, hit: make(chan string, 1)}
	h := newHarness(t, st, sim.Config{Seed: 17, Tenants: tenants, HostsPerTarget: 2}, 2,
		func(deps *runbooks.Deps, _ *runbooks.Pipeline) {
			stopper.Patcher = deps.Patcher
			deps.Patcher = stopper
		})
	clicks := newClicker(t, h.engines[0], st)
	probe := httptest.NewServer(metrics.New().Mux(slog.New(slog.NewTextHandler(io.Discard, nil)), metrics.StoreCheck(st)))
	defer probe.Close()
	ids := map[string]string{}
	for i, tn := range tenants {
		c, err := h.engines[i%2].Start(ctx, tn.Name, requester)
		if err != nil {
			t.Fatal(err)
		}
		ids[tn.Name] = c.ID
	}

	// Run until the outage hits, mid-step.
	var cut string
	for round := 0; cut == "" && round < 40; round++ {
		h.tickLoose(ctx)
		select {
		case cut = <-stopper.hit:
			continue
		default:
		}
		h.approveWaiting(ctx)
		h.clock.Advance(time.Hour)
	}
	if cut == "" {
		t.Fatal("no staging patch was ever started")
	}
	t.Logf("redis stopped right after cycle %s sent its staging patch", cut)
	before := h.fleet.Stats()

	// During the outage: the engine cannot tick, a decision is refused as
	// unavailable, and a click gets the "try again" reply.
	for _, e := range h.engines {
		if err := e.Tick(ctx); !errors.Is(err, state.ErrUnavailable) {
			t.Errorf("tick during the outage: %v, want state.ErrUnavailable", err)
		}
	}
	outage := runbooks.Decision{Cycle: cut, Stage: "production", Action: runbooks.Approve, Actor: alice, InteractionID: "outage-click"}
	if _, err := h.engines[1].Decide(ctx, outage); runbooks.ErrorCode(err) != runbooks.CodeUnavailable || !errors.Is(err, state.ErrUnavailable) {
		t.Errorf("decide during the outage: code %q err %v, want %q wrapping state.ErrUnavailable", runbooks.ErrorCode(err), err, runbooks.CodeUnavailable)
	}
	reply := clicks.click(t, cut, "production", runbooks.Approve, alice, 0)
	if !strings.Contains(strings.ToLower(reply), "state store unavailable, try again") {
		t.Errorf("click during the outage replied %q", reply)
	}
	checkStatus(t, probe.URL+"/readyz", http.StatusServiceUnavailable)
	if after := h.fleet.Stats(); after.Patches.Starts != before.Patches.Starts || after.Backups.Starts != before.Backups.Starts {
		t.Errorf("operations started during the outage: patches %d→%d backups %d→%d",
			before.Patches.Starts, after.Patches.Starts, before.Backups.Starts, after.Backups.Starts)
	}

	// Back up on the same socket and AOF: the engine resumes by itself.
	srv.Start()
	restarted := time.Now()
	var tickErr error
	testkit.Poll(30*time.Second, func() bool {
		tickErr = h.engines[0].Tick(ctx)
		return !errors.Is(tickErr, state.ErrUnavailable)
	})
	if tickErr != nil {
		t.Fatalf("engine did not resume within 30 s of the restart: %v", tickErr)
	}
	t.Logf("engine resumed %s after redis answered again", time.Since(restarted).Round(time.Millisecond))
	checkStatus(t, probe.URL+"/readyz", http.StatusOK)
	h.runToEnd(ctx, 40)

	for _, c := range h.checkCompletedOnce(ctx, tenants, ids) {
		for _, in := range c.Interactions {
			if strings.Contains(in, "outage") || strings.HasPrefix(in, "slack:outage") {
				t.Errorf("%s: the outage decision %q was recorded", c.ID, in)
			}
		}
		checkEventsSequential(t, h, c)
	}
	if h.fleet.Stats().Patches.Found == 0 {
		t.Error("the cut-off staging patch was never looked up again (Found = 0): its handle cannot have been recovered")
	}
	refusals, err := h.engines[0].Refusals(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refusals {
		if r.Data["interaction"] == "outage-click" || strings.HasPrefix(r.Data["interaction"], "slack:outage") {
			t.Errorf("the outage decision left a refusal: %+v", r)
		}
	}
	verifyAllStreams(t, st)
}

// tickLoose runs one tick on every replica at once, tolerating the store
// failing under it (the outage starts inside a tick).
func (h *harness) tickLoose(ctx context.Context) {
	var wg sync.WaitGroup
	for _, e := range h.engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.Tick(ctx); err != nil && !errors.Is(err, state.ErrUnavailable) {
				h.t.Errorf("tick: %v", err)
			}
		}()
	}
	wg.Wait()
}

// checkEventsSequential: a cycle's audit events are numbered 1..n without a
// gap or a repeat, one per revision.
func checkEventsSequential(t *testing.T, h *harness, c *runbooks.Cycle) {
	t.Helper()
	events, err := h.engines[0].Events(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range events {
		if ev.Seq != int64(i+1) {
			t.Fatalf("%s: event %d has seq %d", c.ID, i, ev.Seq)
		}
	}
	if int64(len(events)) != c.Revision {
		t.Errorf("%s: %d audit events, revision %d", c.ID, len(events), c.Revision)
	}
}
