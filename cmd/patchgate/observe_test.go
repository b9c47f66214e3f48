package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/bot/sandbox"
	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/metrics/metricstest"
	"github.com/patchgate/patchgate/runbooks"
)

// TestServeMetrics runs serve with the metrics endpoint on a free port,
// drives one cycle to completion, and scrapes /metrics, /healthz and
// /readyz over HTTP; the logs are JSON with the engine's cycle and tenant
// fields.
func TestServeMetrics(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Load(cliConfig(t, dir, 0))
	if err != nil {
		t.Fatal(err)
	}
	var logs testkit.SyncBuffer
	log, err := newLogger(cfg.Log, &logs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan *app, 1)
	bound := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, wiring{log: log, reports: dir, metricsListen: "127.0.0.1:0",
			metricsReady: func(a net.Addr) { bound <- a }, ready: func(a *app) { started <- a }})
	}()
	a := <-started
	var base string
	select {
	case addr := <-bound:
		base = "http://" + addr.String()
	case <-time.After(30 * time.Second):
		t.Fatal("metrics endpoint never bound")
	}
	c, err := a.engine.Start(ctx, "acme-cu", "U0REQ00001")
	if err != nil {
		t.Fatal(err)
	}
	approvals := 0
	for _, step := range []struct{ stage, who string }{{"nonprod", "U0ALICE001"}, {"production", "U0ALICE001"}, {"production", "U0BOB00002"}} {
		waitFor(t, a.engine, c.ID, func(c *runbooks.Cycle) bool {
			s, _ := c.Stage(step.stage)
			return s.Phase == runbooks.PhaseApproval && !s.ApprovedBy(step.who)
		})
		if _, err := a.engine.Decide(ctx, runbooks.Decision{Cycle: c.ID, Stage: step.stage, Action: runbooks.Approve, Actor: step.who}); err != nil {
			t.Fatal(err)
		}
		approvals++
	}
	waitFor(t, a.engine, c.ID, func(c *runbooks.Cycle) bool { return c.Status == runbooks.StatusCompleted })
	// The archive step (which logs "cycle archived") follows completion.
	testkit.Eventually(t, 60*time.Second, "the completed cycle to be archived", func() bool {
		active, err := a.engine.Active(ctx)
		return err == nil && len(active) == 0
	})

	// Archiving follows completion; wait for the finished count to show.
	var s metricstest.Scrape
	testkit.Poll(30*time.Second, func() bool {
		s = metricstest.Get(t, base+"/metrics")
		v, _ := s.Value("patchgate_cycles_finished_total", "status", "completed")
		return v == 1
	})
	check := func(name string, ok func(float64) bool, labels ...string) {
		t.Helper()
		v, present := s.Value(name, labels...)
		if !present || !ok(v) {
			t.Errorf("%s%v = %v (present %v)", name, labels, v, present)
		}
	}
	eq := func(want float64) func(float64) bool { return func(v float64) bool { return v == want } }
	pos := func(v float64) bool { return v > 0 }
	check("patchgate_cycles_finished_total", eq(1), "status", "completed")
	check("patchgate_approvals_total", eq(float64(approvals)))
	check("patchgate_approvals_total", eq(2), "stage", "production")
	check("patchgate_stage_duration_seconds", eq(1), "stage", "production")
	check("patchgate_provider_call_duration_seconds", eq(2), "provider", "sim", "method", "StartPatch")
	check("patchgate_provider_call_duration_seconds", pos, "provider", "sim", "method", "Problems")
	check("patchgate_store_op_duration_seconds", pos, "op", "update_fenced")
	check("patchgate_store_op_duration_seconds", pos, "op", "list")
	check("patchgate_gate_failures_total", eq(0), "gate", "health")

	if code := status(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}
	if code := status(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d", code)
	}
	a.store.Close()
	if code := status(t, base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the store closed = %d, want 503", code)
	}
	cancel()
	<-done // the store was closed under it: its error is expected

	var archived map[string]any
	for _, line := range strings.Split(logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "cycle archived" {
			archived = rec
		}
	}
	if archived["cycle"] != c.ID || archived["tenant"] != "acme-cu" || archived["level"] != "INFO" {
		t.Errorf("no JSON log line for the archived cycle with cycle and tenant fields; got %v\nlogs:\n%s", archived, logs.String())
	}
}

func status(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestServeReadyzFollowsSlack serves with Socket Mode against the sandbox
// Slack: /readyz is 200 once the session is up, the notifier's Web API
// calls are counted by method, and /readyz turns 503 when Slack goes away.
func TestServeReadyzFollowsSlack(t *testing.T) {
	dir := t.TempDir()
	sbOpts := sandbox.DefaultOptions()
	sbOpts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	sb := sandbox.New(sbOpts)
	if _, err := sb.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	yaml, err := os.ReadFile(cliConfig(t, dir, 0))
	if err != nil {
		t.Fatal(err)
	}
	yaml = append(yaml, fmt.Sprintf(`slack:
  transport: socket
  bot_token: env:BOT
  app_token: env:APP
  channel: %s
  api_url: %q
`, demoChannel, sb.APIURL())...)
	cfg, err := config.Parse("slack.yaml", yaml)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{"BOT": sbOpts.BotToken, "APP": sbOpts.AppToken}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan *app, 1)
	bound := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, wiring{log: slog.New(slog.NewTextHandler(io.Discard, nil)), reports: dir,
			lookup:        func(k string) (string, bool) { v, ok := secrets[k]; return v, ok },
			metricsListen: "127.0.0.1:0", metricsReady: func(a net.Addr) { bound <- a }, ready: func(a *app) { started <- a }})
	}()
	a := <-started
	base := "http://" + (<-bound).String()
	waitStatus(t, base+"/readyz", http.StatusOK)

	if _, err := a.engine.Start(ctx, "acme-cu", "U0REQUEST1"); err != nil {
		t.Fatal(err)
	}
	var posts, opens float64
	if !testkit.Poll(60*time.Second, func() bool {
		s := metricstest.Get(t, base+"/metrics")
		posts, _ = s.Value("patchgate_slack_api_calls_total", "method", "chat.postMessage", "status", "200")
		opens, _ = s.Value("patchgate_slack_api_calls_total", "method", "apps.connections.open")
		return posts >= 1 && opens >= 1
	}) {
		t.Fatalf("Slack calls not counted: chat.postMessage %v, apps.connections.open %v", posts, opens)
	}

	sb.Close()
	waitStatus(t, base+"/readyz", http.StatusServiceUnavailable)
	cancel()
	<-done
}

// waitStatus polls url until it answers want (60 s at most).
func waitStatus(t *testing.T, url string, want int) {
	t.Helper()
	got := 0
	if !testkit.Poll(60*time.Second, func() bool { got = status(t, url); return got == want }) {
		t.Fatalf("GET %s = %d, want %d within 60 s", url, got, want)
	}
}
