package test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/metrics"
	"github.com/patchgate/patchgate/metrics/metricstest"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// TestMetricsAfterCycle runs one whole cycle on two replicas with every
// port instrumented (production's health gate fails once and is retried),
// then scrapes /metrics over HTTP and checks each series an operator would
// alert on is there with the values the cycle implies.
func TestMetricsAfterCycle(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			st := b.open(t)
			m := metrics.New()
			tenants := sim.GenerateTenants(1, 5)
			tn := tenants[0].Name
			h := newHarness(t, st, sim.Config{Seed: 5, Tenants: tenants, HostsPerTarget: 2,
				Faults: sim.Faults{HealthProblems: map[string][]runbooks.Problem{tn + "/production": {{ID: "P-1", Title: "CPU saturation"}}}}}, 2,
				func(deps *runbooks.Deps, _ *runbooks.Pipeline) {
					*deps = m.Instrument(*deps)
					deps.Chat = m.Chat(deps.Chat)
				})
			m.Cycles(h.engines[0])
			c, err := h.engines[0].Start(ctx, tn, requester)
			if err != nil {
				t.Fatal(err)
			}

			// A refused click, through the decision wrapper the Slack
			// handler gets.
			eng := m.Decisions(h.engines[1])
			if _, err := eng.Decide(ctx, runbooks.Decision{Cycle: c.ID, Stage: "nonprod", Action: runbooks.Approve, Actor: outsider}); runbooks.ErrorCode(err) != runbooks.CodeForbidden {
				t.Fatalf("outsider approval: %v", err)
			}

			approvals, retried := 0, false
			for round := 0; ; round++ {
				if round == 40 {
					t.Fatal("cycle did not finish in 40 rounds")
				}
				h.tickAll(ctx)
				cur, err := h.engines[0].Get(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				if cur.Status.Terminal() {
					break
				}
				if i := cur.Current(); i >= 0 && cur.Stages[i].Phase == runbooks.PhaseFailed {
					if retried {
						t.Fatalf("stage %s failed again: %+v", cur.Stages[i].Name, cur.Stages[i].Failure)
					}
					if err := h.fleet.SetHealthProblems(tn, "production", nil); err != nil {
						t.Fatal(err)
					}
					if _, err := eng.Decide(ctx, runbooks.Decision{Cycle: c.ID, Stage: cur.Stages[i].Name, Action: runbooks.Retry, Actor: alice}); err != nil {
						t.Fatal(err)
					}
					retried = true
					continue
				}
				approvals += h.approveWaiting(ctx)
				h.clock.Advance(time.Hour)
			}
			if !retried {
				t.Fatal("the production health gate never failed: the fault did not bite")
			}

			// Slack Web API calls through the instrumented transport: a
			// post, then a 429.
			var calls atomic.Int32
			slackSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) > 1 {
					w.Header().Set("Retry-After", "1")
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"ok":true,"channel":"C1","ts":"1.2"}`)
			}))
			defer slackSrv.Close()
			api := slack.New("xoxb-test", slack.OptionAPIURL(slackSrv.URL+"/api/"),
				slack.OptionHTTPClient(&http.Client{Transport: m.SlackTransport(nil)}))
			if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false)); err != nil {
				t.Fatal(err)
			}
			if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false)); err == nil {
				t.Fatal("second post was not rate limited")
			}

			srv := httptest.NewServer(m.Mux(slog.New(slog.NewTextHandler(io.Discard, nil)), metrics.StoreCheck(st)))
			defer srv.Close()
			s := metricstest.Get(t, srv.URL+"/metrics")

			expect := func(name string, want float64, labels ...string) {
				t.Helper()
				got, ok := s.Value(name, labels...)
				if !ok || got != want {
					t.Errorf("%s%v = %v (present %v), want %v", name, labels, got, ok, want)
				}
			}
			atLeast := func(name string, least float64, labels ...string) {
				t.Helper()
				got, ok := s.Value(name, labels...)
				if !ok || got < least {
					t.Errorf("%s%v = %v (present %v), want at least %v", name, labels, got, ok, least)
				}
			}
			expect("patchgate_cycles_finished_total", 1, "status", "completed")
			expect("patchgate_cycles", 0, "status", "running")
			expect("patchgate_cycles", 0, "status", "halted")
			expect("patchgate_approvals_total", float64(approvals))
			expect("patchgate_approvals_total", 2, "stage", "production")
			expect("patchgate_refusals_total", 1, "action", "approve", "code", runbooks.CodeForbidden)
			expect("patchgate_gate_failures_total", 1, "gate", "health")
			expect("patchgate_gate_failures_total", 0, "gate", "inventory")
			expect("patchgate_stage_failures_total", 1, "stage", "production")
			for _, stage := range []string{"nonprod", "staging", "production"} {
				expect("patchgate_stage_duration_seconds", 1, "stage", stage)
			}
			// Staging soaks 24 h on the engine's clock before it is done.
			if sum := s.HistogramSum("patchgate_stage_duration_seconds", "stage", "staging"); sum < 24*3600 {
				t.Errorf("staging took %v s, want at least the 24 h soak", sum)
			}
			stats := h.fleet.Stats()
			expect("patchgate_provider_call_duration_seconds", float64(stats.Calls[sim.MethodStartPatch]), "provider", "sim", "method", "StartPatch")
			expect("patchgate_provider_call_duration_seconds", float64(stats.Calls[sim.MethodHosts]), "provider", "sim", "method", "Hosts")
			atLeast("patchgate_provider_call_duration_seconds", 1, "provider", "sim", "method", "Trigger")
			atLeast("patchgate_store_op_duration_seconds", 1, "op", "update_fenced")
			atLeast("patchgate_store_op_duration_seconds", 1, "op", "append_at")
			atLeast("patchgate_store_op_duration_seconds", 1, "op", "get")
			expect("patchgate_slack_api_calls_total", 1, "method", "chat.postMessage", "status", "200")
			expect("patchgate_slack_api_calls_total", 1, "method", "chat.postMessage", "status", "429")
			expect("patchgate_slack_api_rate_limited_total", 1, "method", "chat.postMessage")
			if !s.Has("go_goroutines") || !s.Has("process_cpu_seconds_total") {
				t.Error("runtime and process collectors missing")
			}

			// Ready while the store answers; 503 once it does not.
			checkStatus(t, srv.URL+"/healthz", http.StatusOK)
			checkStatus(t, srv.URL+"/readyz", http.StatusOK)
			st.Close()
			checkStatus(t, srv.URL+"/readyz", http.StatusServiceUnavailable)
			checkStatus(t, srv.URL+"/healthz", http.StatusOK)
		})
	}
}

func checkStatus(t *testing.T, url string, want int) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Errorf("GET %s = %d, want %d", url, resp.StatusCode, want)
	}
}
