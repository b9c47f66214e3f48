package pagerduty_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/pagerduty"
	"github.com/patchgate/patchgate/providers/pagerduty/pdtest"
	"github.com/patchgate/patchgate/runbooks"
)

const routingKey = "R0UT1NGK3Ysecret0123456789abcdef" // 32 characters, like a real one

// logBuf collects every log line a test client writes, to check the
// routing key never appears.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newClient starts a fake PagerDuty and a client on it whose backoff waits
// a millisecond and records the attempts it was asked about.
func newClient(t *testing.T, edit func(*pagerduty.Config)) (*pagerduty.Client, *pdtest.Server, *[]int) {
	t.Helper()
	srv := pdtest.New(t, routingKey)
	var (
		mu      sync.Mutex
		backoff []int
	)
	logs := &logBuf{}
	cfg := pagerduty.Config{
		RoutingKey: routingKey,
		EventsURL:  srv.URL,
		Component:  "patch-pipeline",
		Group:      "acme",
		Backoff: func(n int) time.Duration {
			mu.Lock()
			defer mu.Unlock()
			backoff = append(backoff, n)
			return time.Millisecond
		},
		Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := pagerduty.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if strings.Contains(logs.String(), routingKey) {
			t.Errorf("the routing key was logged:\n%s", logs.String())
		}
	})
	return c, srv, &backoff
}

func page(key string) runbooks.Page {
	return runbooks.Page{DedupKey: key, Summary: "patchgate: acme nonprod halted: patch failed on 1 host(s)",
		Severity: runbooks.SeverityWarning, Details: map[string]string{"cycle": "c1", "tenant": "acme", "hosts": "acme-nonprod-app-01"}}
}

// field reads a nested field of a JSON body, e.g. field(b, "payload", "summary").
func field(body map[string]any, path ...string) any {
	var v any = body
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func TestTriggerBody(t *testing.T) {
	c, srv, _ := newClient(t, func(c *pagerduty.Config) {
		c.Links = func(key string) string { return "https://slack.example/archives/C1/p1?key=" + key }
	})
	key := runbooks.IncidentKey("c1", "nonprod")
	if err := c.Trigger(context.Background(), page(key)); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Path != "/v2/enqueue" || r.Status != http.StatusAccepted || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Errorf("request %s answered %d, content type %q", r.Path, r.Status, r.Header.Get("Content-Type"))
	}
	link := "https://slack.example/archives/C1/p1?key=" + key
	for _, tc := range []struct {
		path []string
		want any
	}{
		{[]string{"routing_key"}, routingKey},
		{[]string{"event_action"}, "trigger"},
		{[]string{"dedup_key"}, "patchgate/c1/nonprod"},
		{[]string{"payload", "summary"}, page(key).Summary},
		{[]string{"payload", "source"}, "patchgate"},
		{[]string{"payload", "severity"}, "warning"},
		{[]string{"payload", "component"}, "patch-pipeline"},
		{[]string{"payload", "group"}, "acme"},
		{[]string{"payload", "class"}, "patch-cycle"},
		{[]string{"payload", "custom_details", "cycle"}, "c1"},
		{[]string{"payload", "custom_details", "tenant"}, "acme"},
		{[]string{"payload", "custom_details", "hosts"}, "acme-nonprod-app-01"},
		{[]string{"payload", "custom_details", "slack_thread"}, link},
		{[]string{"client_url"}, link},
	} {
		if got := field(r.Body, tc.path...); got != tc.want {
			t.Errorf("%s = %v, want %v", strings.Join(tc.path, "."), got, tc.want)
		}
	}
	links, _ := r.Body["links"].([]any)
	if len(links) != 1 || field(links[0].(map[string]any), "href") != link {
		t.Errorf("links %v, want one to %s", r.Body["links"], link)
	}
	if inc, _ := srv.Incident(key); inc.Status != pdtest.Triggered || inc.Opened != 1 {
		t.Errorf("incident %+v, want triggered once", inc)
	}
}

func TestTriggerSummaryAndSeverity(t *testing.T) {
	c, srv, _ := newClient(t, nil)
	long := strings.Repeat("ü", 1500) // multi-byte: the limit is in characters
	for i, tc := range []struct {
		summary, severity string
		wantLen           int
		wantSeverity      string
	}{
		{"short", "critical", 5, "critical"},
		{long, "error", 1024, "error"},
		{"x", "WARNING", 1, "warning"},
		{"x", "info", 1, "info"},
		{"x", "", 1, "error"},
		{"x", "sev1", 1, "error"},
	} {
		p := page(runbooks.IncidentKey("c2", "s"))
		p.Summary, p.Severity = tc.summary, tc.severity
		if err := c.Trigger(context.Background(), p); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		body := srv.Requests()[i].Body
		if got := len([]rune(field(body, "payload", "summary").(string))); got != tc.wantLen {
			t.Errorf("case %d: summary of %d characters, want %d", i, got, tc.wantLen)
		}
		if got := field(body, "payload", "severity"); got != tc.wantSeverity {
			t.Errorf("case %d: severity %v, want %s", i, got, tc.wantSeverity)
		}
	}
}

func TestAcknowledgeResolveBodies(t *testing.T) {
	c, srv, _ := newClient(t, nil)
	ctx := context.Background()
	key := runbooks.IncidentKey("c3", "staging")
	steps := []struct {
		call   func() error
		action string
		status string
	}{
		{func() error { return c.Trigger(ctx, page(key)) }, "trigger", pdtest.Triggered},
		{func() error { return c.Acknowledge(ctx, key) }, "acknowledge", pdtest.Acknowledged},
		{func() error { return c.Resolve(ctx, key) }, "resolve", pdtest.Resolved},
	}
	for i, s := range steps {
		if err := s.call(); err != nil {
			t.Fatalf("%s: %v", s.action, err)
		}
		r := srv.Requests()[i]
		if r.Action != s.action || r.DedupKey != key || r.Body["routing_key"] != routingKey {
			t.Errorf("%s sent as %s for %s", s.action, r.Action, r.DedupKey)
		}
		if s.action != "trigger" && r.Body["payload"] != nil {
			t.Errorf("%s carries a payload: %v", s.action, r.Body["payload"])
		}
		if inc, _ := srv.Incident(key); inc.Status != s.status {
			t.Errorf("after %s the incident is %s, want %s", s.action, inc.Status, s.status)
		}
	}
	if err := c.Acknowledge(ctx, ""); runbooks.ErrorCode(err) != runbooks.CodeInvalid {
		t.Errorf("acknowledge without a key: %v, want invalid", err)
	}
	if len(srv.Requests()) != 3 {
		t.Errorf("an event without a dedup key was sent")
	}
}

func TestChangeEvent(t *testing.T) {
	c, srv, _ := newClient(t, nil)
	at := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	err := c.Change(context.Background(), runbooks.ChangeEvent{Summary: "patchgate: acme production patching started",
		At: at, Details: map[string]string{"cycle": "c4", "hosts": "4"}})
	if err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if r.Path != "/v2/change/enqueue" || r.Status != http.StatusAccepted {
		t.Fatalf("change sent to %s, answered %d", r.Path, r.Status)
	}
	for _, tc := range []struct {
		path []string
		want any
	}{
		{[]string{"routing_key"}, routingKey},
		{[]string{"payload", "summary"}, "patchgate: acme production patching started"},
		{[]string{"payload", "source"}, "patchgate"},
		{[]string{"payload", "timestamp"}, "2026-11-22T02:00:00Z"},
		{[]string{"payload", "custom_details", "cycle"}, "c4"},
		{[]string{"payload", "custom_details", "hosts"}, "4"},
		{[]string{"event_action"}, nil},
	} {
		if got := field(r.Body, tc.path...); got != tc.want {
			t.Errorf("%s = %v, want %v", strings.Join(tc.path, "."), got, tc.want)
		}
	}
}

// TestRetries: 429 and 5xx are retried up to MaxRetries; a 400 is not.
func TestRetries(t *testing.T) {
	key := runbooks.IncidentKey("c5", "nonprod")
	tooMany, unavailable := pdtest.Failure{Status: 429}, pdtest.Failure{Status: 503}
	for _, tc := range []struct {
		name      string
		fail      []pdtest.Failure
		down      *pdtest.Failure
		requests  int
		backoffs  []int
		wantErr   bool
		status    int
		temporary bool
	}{
		{name: "accepted", requests: 1},
		{name: "429 twice", fail: []pdtest.Failure{tooMany, tooMany}, requests: 3, backoffs: []int{1, 2}},
		{name: "500 then 502", fail: []pdtest.Failure{{Status: 500}, {Status: 502}}, requests: 3, backoffs: []int{1, 2}},
		{name: "429 then 503 then 429", fail: []pdtest.Failure{tooMany, unavailable, tooMany}, requests: 4, backoffs: []int{1, 2, 3}},
		{name: "503 always", down: &unavailable, requests: 5, backoffs: []int{1, 2, 3, 4}, wantErr: true, status: 503, temporary: true},
		{name: "429 always", down: &tooMany, requests: 5, backoffs: []int{1, 2, 3, 4}, wantErr: true, status: 429, temporary: true},
		{name: "400", down: &pdtest.Failure{Status: 400}, requests: 1, wantErr: true, status: 400},
		{name: "404", down: &pdtest.Failure{Status: 404}, requests: 1, wantErr: true, status: 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, srv, backoffs := newClient(t, nil)
			srv.FailNext(tc.fail...)
			if tc.down != nil {
				srv.Down(*tc.down)
			}
			err := c.Trigger(context.Background(), page(key))
			if got := srv.Count("trigger", key, 0); got != tc.requests {
				t.Errorf("%d requests, want %d", got, tc.requests)
			}
			if !equalInts(*backoffs, tc.backoffs) {
				t.Errorf("backoff asked for attempts %v, want %v", *backoffs, tc.backoffs)
			}
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("error %v, want accepted", err)
				}
				if srv.Accepted("trigger", key) != 1 {
					t.Errorf("%d accepted triggers, want 1", srv.Accepted("trigger", key))
				}
				return
			}
			var pe *pagerduty.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T), want a *pagerduty.Error", err, err)
			}
			var ae pd.APIError
			if !errors.As(err, &ae) || ae.StatusCode != tc.status {
				t.Errorf("error does not unwrap to go-pagerduty's APIError with status %d: %v", tc.status, err)
			}
			if pe.StatusCode != tc.status || pe.Temporary() != tc.temporary || pe.Attempts != tc.requests || pe.DedupKey != key || pe.Action != "trigger" {
				t.Errorf("error %+v: want status %d, temporary %v, %d attempts", pe, tc.status, tc.temporary, tc.requests)
			}
			if !strings.Contains(err.Error(), key) || strings.Contains(err.Error(), routingKey) {
				t.Errorf("error text %q must name the dedup key and not the routing key", err)
			}
		})
	}
}

// TestLostReplyIsDeduplicated: a trigger PagerDuty took whose reply was
// lost is sent again, and PagerDuty folds it into the same incident: the
// client relies on the dedup key, not on local state.
func TestLostReplyIsDeduplicated(t *testing.T) {
	c, srv, _ := newClient(t, nil)
	key := runbooks.IncidentKey("c10", "production")
	srv.FailNext(pdtest.Failure{Status: 502, Applied: true})
	if err := c.Trigger(context.Background(), page(key)); err != nil {
		t.Fatal(err)
	}
	inc, _ := srv.Incident(key)
	if srv.Count("trigger", key, 0) != 2 || inc.Opened != 1 || inc.Deduplicated != 1 {
		t.Errorf("%d triggers sent, incident %+v; want 2 sent, 1 opened, 1 de-duplicated", srv.Count("trigger", key, 0), inc)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestInvalidRoutingKey: PagerDuty's 400 reply is in the error, the key
// the client sent is not, and nothing is retried.
func TestInvalidRoutingKey(t *testing.T) {
	srv := pdtest.New(t, routingKey)
	wrong := "WR0NGK3Y0123456789abcdefghijklmn"
	logs := &logBuf{}
	c, err := pagerduty.New(pagerduty.Config{RoutingKey: wrong, EventsURL: srv.URL + "/v2/enqueue",
		Backoff: func(int) time.Duration { return time.Millisecond },
		Log:     slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	key := runbooks.IncidentKey("c6", "preflight")
	err = c.Trigger(context.Background(), page(key))
	want := "pagerduty trigger " + key + ": HTTP 400 invalid event: Event object is invalid (Invalid routing key) after 1 attempt(s)"
	if err == nil || err.Error() != want {
		t.Errorf("error\n %v\nwant\n %s", err, want)
	}
	var pe *pagerduty.Error
	if !errors.As(err, &pe) || pe.Temporary() || pe.Status != "invalid event" || len(pe.Errors) != 1 {
		t.Errorf("error %+v, want a permanent invalid event", pe)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1 (a 400 is not retried)", n)
	}
	if strings.Contains(logs.String(), wrong) {
		t.Errorf("routing key logged: %s", logs.String())
	}
	if !strings.Contains(logs.String(), key) {
		t.Errorf("the failure was not logged with its dedup key: %s", logs.String())
	}
}

// TestErrorEchoingKeyIsRedacted: should a server (a misbehaving proxy)
// echo the routing key in its refusal, the error still does not carry it.
func TestErrorEchoingKeyIsRedacted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			RoutingKey string `json:"routing_key"`
		}
		_ = json.NewDecoder(r.Body).Decode(&ev)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"status":"invalid event","message":"key %s refused","errors":["routing_key %s is not enabled"]}`, ev.RoutingKey, ev.RoutingKey)
	}))
	t.Cleanup(srv.Close)
	logs := &logBuf{}
	c, err := pagerduty.New(pagerduty.Config{RoutingKey: routingKey, EventsURL: srv.URL,
		Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Resolve(context.Background(), runbooks.IncidentKey("c6", "staging"))
	if err == nil {
		t.Fatal("a refusal was taken for success")
	}
	if strings.Contains(err.Error(), routingKey) || !strings.Contains(err.Error(), "[routing key]") {
		t.Errorf("error not redacted: %v", err)
	}
	if strings.Contains(logs.String(), routingKey) {
		t.Errorf("routing key logged: %s", logs.String())
	}
}

// TestRetryAfter: a 429's Retry-After is waited out instead of the backoff;
// one that would outlive the call's deadline ends the call at once.
func TestRetryAfter(t *testing.T) {
	key := runbooks.IncidentKey("c7", "nonprod")
	t.Run("honoured", func(t *testing.T) {
		c, srv, backoffs := newClient(t, nil)
		srv.FailNext(pdtest.Failure{Status: 429, RetryAfter: "1"})
		began := time.Now()
		if err := c.Trigger(context.Background(), page(key)); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(began); took < time.Second {
			t.Errorf("retried after %s, want ≥ the 1 s Retry-After", took)
		}
		if srv.Count("trigger", key, 0) != 2 || srv.Accepted("trigger", key) != 1 {
			t.Errorf("%d requests, %d accepted; want 2, 1", srv.Count("trigger", key, 0), srv.Accepted("trigger", key))
		}
		if len(*backoffs) != 1 {
			t.Errorf("backoff asked %v", *backoffs)
		}
	})
	t.Run("beyond the deadline", func(t *testing.T) {
		c, srv, _ := newClient(t, nil)
		srv.FailNext(pdtest.Failure{Status: 429, RetryAfter: "120"})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		began := time.Now()
		err := c.Trigger(ctx, page(key))
		var pe *pagerduty.Error
		if !errors.As(err, &pe) || pe.StatusCode != 429 || pe.RetryAfter != 120*time.Second || !pe.Temporary() {
			t.Fatalf("error %v, want a temporary 429 asking for 120 s", err)
		}
		if took := time.Since(began); took > time.Second || srv.Count("trigger", key, 0) != 1 {
			t.Errorf("took %s with %d requests; want an immediate return after 1", took, srv.Count("trigger", key, 0))
		}
	})
}

// TestContextEndsRetries: cancelling the context during a backoff wait
// stops the retries at once.
func TestContextEndsRetries(t *testing.T) {
	c, srv, _ := newClient(t, func(c *pagerduty.Config) {
		c.Backoff = func(int) time.Duration { return time.Hour }
	})
	srv.Down(pdtest.Failure{Status: 500})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		testkit.Poll(time.Minute, func() bool { return srv.Count("resolve", "", 0) > 0 })
		cancel()
	}()
	began := time.Now()
	err := c.Resolve(ctx, runbooks.IncidentKey("c8", "nonprod"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want one wrapping context.Canceled", err)
	}
	if took := time.Since(began); took > 5*time.Second || srv.Count("resolve", "", 0) != 1 {
		t.Errorf("took %s with %d requests; want a prompt stop after 1", took, srv.Count("resolve", "", 0))
	}
	// A context already done sends nothing more than the one attempt the
	// HTTP client refuses.
	err = c.Resolve(ctx, runbooks.IncidentKey("c8", "nonprod"))
	if !errors.Is(err, context.Canceled) || srv.Count("resolve", "", 0) != 1 {
		t.Errorf("with a done context: %v, %d requests", err, srv.Count("resolve", "", 0))
	}
}

// TestUnreachable: a network error is retried and reported without a status.
func TestUnreachable(t *testing.T) {
	srv := pdtest.New(t, routingKey)
	url := srv.URL
	srv.Close()
	var attempts []int
	c, err := pagerduty.New(pagerduty.Config{RoutingKey: routingKey, EventsURL: url, MaxRetries: 2,
		Backoff: func(n int) time.Duration { attempts = append(attempts, n); return time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Trigger(context.Background(), page(runbooks.IncidentKey("c9", "nonprod")))
	var pe *pagerduty.Error
	if !errors.As(err, &pe) || pe.StatusCode != 0 || !pe.Temporary() || pe.Attempts != 3 || !equalInts(attempts, []int{1, 2}) {
		t.Fatalf("error %+v after backoffs %v; want a temporary network error after 3 attempts", err, attempts)
	}
	if strings.Contains(err.Error(), routingKey) {
		t.Errorf("error carries the routing key: %v", err)
	}
}

func TestNewChecksConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  pagerduty.Config
	}{
		{"no routing key", pagerduty.Config{EventsURL: "http://x"}},
		{"blank routing key", pagerduty.Config{RoutingKey: "  "}},
		{"not a URL", pagerduty.Config{RoutingKey: routingKey, EventsURL: "events.pagerduty.com"}},
	} {
		if _, err := pagerduty.New(tc.cfg); runbooks.ErrorCode(err) != runbooks.CodeInvalid {
			t.Errorf("%s: %v, want an invalid-config error", tc.name, err)
		} else if strings.Contains(err.Error(), routingKey) {
			t.Errorf("%s: error names the key", tc.name)
		}
	}
	if _, err := pagerduty.New(pagerduty.Config{RoutingKey: routingKey}); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func TestDefaultBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 375 * time.Millisecond, 500 * time.Millisecond},
		{2, 750 * time.Millisecond, time.Second},
		{3, 1500 * time.Millisecond, 2 * time.Second},
		{5, 6 * time.Second, 8 * time.Second},
		{30, 6 * time.Second, 8 * time.Second},
	} {
		for range 50 {
			if d := pagerduty.DefaultBackoff(tc.attempt); d < tc.min || d > tc.max {
				t.Fatalf("attempt %d: %s, want %s..%s", tc.attempt, d, tc.min, tc.max)
			}
		}
	}
}
