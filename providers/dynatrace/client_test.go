package dynatrace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/dynatrace/dynatracetest"
	"github.com/patchgate/patchgate/runbooks"
)

const (
	token   = "dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.SECRETSECRETSECRETSECRETSECRETSECRETSECRETSECRETSECRETSECR"
	prodSel = `type("HOST"),tag("tenant:acme-cu"),tag("env:production")`
)

// testClient is a client of fake fed by cfg (BaseURL, Token and Selectors
// filled in when empty) whose retry waits are recorded, not slept.
type testClient struct {
	*Client
	mu     sync.Mutex
	waits  []time.Duration
	logged *bytes.Buffer
}

func newTestClient(t *testing.T, fake *dynatracetest.Server, cfg Config) *testClient {
	t.Helper()
	if cfg.BaseURL == "" {
		cfg.BaseURL = fake.URL + "/"
	}
	if cfg.Token == "" {
		cfg.Token = token
	}
	if cfg.Selectors == nil {
		cfg.Selectors = map[string]string{"acme-cu/production": prodSel, "staging": `type("HOST"),tag("env:staging")`}
	}
	tc := &testClient{logged: &bytes.Buffer{}}
	cfg.Log = slog.New(slog.NewTextHandler(tc.logged, nil))
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		tc.mu.Lock()
		defer tc.mu.Unlock()
		tc.waits = append(tc.waits, d)
		return ctx.Err()
	}
	tc.Client = c
	return tc
}

func TestProblemsFollowsPages(t *testing.T) {
	fake := dynatracetest.New(t, token)
	var want []string
	var ps []dynatracetest.Problem
	for i := range 7 {
		p := dynatracetest.OpenProblem(i+1, fmt.Sprintf("CPU saturation %d", i+1), fmt.Sprintf("acme-prod-web-%02d", i+1))
		ps = append(ps, p)
		want = append(want, p.ProblemID)
	}
	fake.SetProblems(prodSel, ps...)
	c := newTestClient(t, fake, Config{PageSize: 3})

	got, err := c.Problems(context.Background(), "acme-cu", "production")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range got {
		ids = append(ids, p.ID)
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("problem IDs %v, want %v", ids, want)
	}
	first := ps[0]
	wantFirst := runbooks.Problem{ID: first.ProblemID,
		Title: first.DisplayID + " CPU saturation 1 on acme-prod-web-01 (RESOURCE_CONTENTION, INFRASTRUCTURE)",
		URL:   fake.URL + "/#problems/problemdetails;pid=" + first.ProblemID}
	if got[0] != wantFirst {
		t.Errorf("first problem\n got %+v\nwant %+v", got[0], wantFirst)
	}

	reqs := fake.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3 pages", len(reqs))
	}
	for i, r := range reqs {
		if r.Method != http.MethodGet || r.Path != "/api/v2/problems" || r.Authorization != "Api-Token "+token {
			t.Errorf("request %d: %s %s auth %q", i, r.Method, r.Path, r.Authorization)
		}
	}
	q := reqs[0].Query
	if len(q) != 4 || q.Get("problemSelector") != `status("open")` || q.Get("entitySelector") != prodSel ||
		q.Get("pageSize") != "3" || q.Get("from") != "now-720h" {
		t.Errorf("first page query %v", q)
	}
	// The selector travels URL-encoded: quotes, parentheses, commas, colons.
	if !strings.Contains(reqs[0].RawQuery, "entitySelector=type%28%22HOST%22%29%2Ctag%28%22tenant%3Aacme-cu%22%29") {
		t.Errorf("raw query %s does not carry the encoded selector", reqs[0].RawQuery)
	}
	for i, r := range reqs[1:] {
		if len(r.Query) != 1 || r.Query.Get("nextPageKey") == "" {
			t.Errorf("page %d query %v, want only nextPageKey", i+2, r.Query)
		}
	}
}

func TestProblemsSelectors(t *testing.T) {
	fake := dynatracetest.New(t, token)
	stagingSel := `type("HOST"),tag("env:staging")`
	fake.SetProblems(stagingSel, dynatracetest.OpenProblem(1, "Memory saturation", "acme-stg-db-01"))
	c := newTestClient(t, fake, Config{ProblemSelector: `severityLevel("AVAILABILITY","RESOURCE_CONTENTION")`})
	ctx := context.Background()

	// "env" is the fallback for every tenant.
	got, err := c.Problems(ctx, "other-bank", "staging")
	if err != nil || len(got) != 1 {
		t.Fatalf("staging via the env fallback: %v, %v", got, err)
	}
	if ps := fake.Requests()[0].Query.Get("problemSelector"); ps != `status("open"),severityLevel("AVAILABILITY","RESOURCE_CONTENTION")` {
		t.Errorf("problemSelector %q, want status(\"open\") and the configured criteria", ps)
	}
	// No selector for the environment: a configuration error naming it,
	// never an empty (healthy) answer, and no request sent.
	n := len(fake.Requests())
	got, err = c.Problems(ctx, "acme-cu", "nonprod")
	if err == nil || got != nil {
		t.Fatalf("unconfigured env: %v, %v; want an error", got, err)
	}
	if runbooks.ErrorCode(err) != runbooks.CodeInvalid || !strings.Contains(err.Error(), "acme-cu/nonprod") {
		t.Errorf("error %v: want code invalid naming acme-cu/nonprod", err)
	}
	if len(fake.Requests()) != n {
		t.Errorf("a request was sent for an unconfigured environment")
	}
}

func TestProblemsSkipsClosedAndDuplicates(t *testing.T) {
	fake := dynatracetest.New(t, token)
	open := dynatracetest.OpenProblem(1, "Host unavailable", "acme-prod-db-01")
	closed := dynatracetest.OpenProblem(2, "Old problem", "acme-prod-db-02")
	closed.Status, closed.EndTime = "CLOSED", time.Now().UnixMilli()
	page := func(next string, ps ...dynatracetest.Problem) string {
		b := `{"totalCount":3,"pageSize":2,"problems":[`
		for i, p := range ps {
			if i > 0 {
				b += ","
			}
			b += fmt.Sprintf(`{"problemId":%q,"displayId":%q,"title":%q,"status":%q,"affectedEntities":[]}`, p.ProblemID, p.DisplayID, p.Title, p.Status)
		}
		b += "]"
		if next != "" {
			b += fmt.Sprintf(`,"nextPageKey":%q`, next)
		}
		return b + "}"
	}
	// A problem moving between pages while paging is listed once.
	fake.Fail(dynatracetest.Fault{Status: 200, Body: page("k1", open, closed)}, dynatracetest.Fault{Status: 200, Body: page("", open)})
	c := newTestClient(t, fake, Config{})
	got, err := c.Problems(context.Background(), "acme-cu", "production")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != open.ProblemID || got[0].Title != open.DisplayID+" Host unavailable" {
		t.Fatalf("got %+v, want only %s", got, open.ProblemID)
	}
}

func TestProblemsRetries429AfterRetryAfter(t *testing.T) {
	fake := dynatracetest.New(t, token)
	fake.SetProblems(prodSel, dynatracetest.OpenProblem(1, "Slow responses", "acme-prod-web-01"))
	limited := dynatracetest.Fault{Status: 429, Header: map[string]string{"Retry-After": "7", "X-RateLimit-Remaining": "0"},
		Body: `{"error":{"code":429,"message":"Too many requests"}}`}
	fake.Fail(limited, limited)
	c := newTestClient(t, fake, Config{})
	got, err := c.Problems(context.Background(), "acme-cu", "production")
	if err != nil || len(got) != 1 {
		t.Fatalf("after two 429s: %v, %v", got, err)
	}
	if !slices.Equal(c.waits, []time.Duration{7 * time.Second, 7 * time.Second}) {
		t.Errorf("waited %v, want Retry-After's 7 s twice", c.waits)
	}
	if n := len(fake.Requests()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	if !strings.Contains(c.logged.String(), "retrying") {
		t.Errorf("retries not logged: %s", c.logged)
	}
}

func TestProblemsGivesUpOn5xx(t *testing.T) {
	fake := dynatracetest.New(t, token)
	down := dynatracetest.Fault{Status: 503, Body: `{"error":{"code":503,"message":"Service unavailable: cluster is restarting"}}`}
	fake.Fail(down, down, down, down, down)
	c := newTestClient(t, fake, Config{RetryBackoff: 100 * time.Millisecond})
	_, err := c.Problems(context.Background(), "acme-cu", "production")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 503 || apiErr.Code != 503 {
		t.Fatalf("error %v, want an APIError with status and code 503", err)
	}
	for _, s := range []string{"acme-cu/production", "gave up after 4 attempts", "HTTP 503", "cluster is restarting"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	if n := len(fake.Requests()); n != 4 {
		t.Errorf("%d requests, want 1 + 3 retries", n)
	}
	if len(c.waits) != 3 || c.waits[0] < 100*time.Millisecond || c.waits[1] < 200*time.Millisecond || c.waits[2] < 400*time.Millisecond {
		t.Errorf("waits %v, want doubling backoff from 100 ms", c.waits)
	}
}

func TestProblemsClientErrorsAreNotRetried(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault *dynatracetest.Fault
		token string
		want  []string
	}{
		{name: "wrong token", token: "dt0c01.WRONG.TOKEN", want: []string{"HTTP 401", "problems.read", "Token Authentication failed"}},
		{name: "missing scope", fault: &dynatracetest.Fault{Status: 403,
			Body: `{"error":{"code":403,"message":"Token is missing required scope. Use one of: problems.read"}}`},
			want: []string{"HTTP 403", "lacks the problems.read scope"}},
		{name: "bad selector", fault: &dynatracetest.Fault{Status: 400,
			Body: `{"error":{"code":400,"message":"Constraints violated.","constraintViolations":[{"path":"entitySelector","message":"invalid"}]}}`},
			want: []string{"HTTP 400", "Constraints violated."}},
		{name: "non-JSON body", fault: &dynatracetest.Fault{Status: 404, Body: "<html>no such environment</html>"},
			want: []string{"HTTP 404", "<html>no such environment</html>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := dynatracetest.New(t, token)
			if tc.fault != nil {
				fake.Fail(*tc.fault)
			}
			c := newTestClient(t, fake, Config{Token: tc.token})
			_, err := c.Problems(context.Background(), "acme-cu", "production")
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if n := len(fake.Requests()); n != 1 || len(c.waits) != 0 {
				t.Errorf("%d requests and waits %v, want one request, no retry", n, c.waits)
			}
		})
	}
}

func TestProblemsTimeout(t *testing.T) {
	fake := dynatracetest.New(t, token)
	fake.Fail(dynatracetest.Fault{Hang: true}, dynatracetest.Fault{Hang: true})
	c := newTestClient(t, fake, Config{Timeout: 50 * time.Millisecond, MaxRetries: 1})
	start := time.Now()
	_, err := c.Problems(context.Background(), "acme-cu", "production")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Fatalf("error %v, want a timeout naming 50ms", err)
	}
	if n := len(fake.Requests()); n != 2 {
		t.Errorf("%d requests, want 2 (one retry)", n)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s", d)
	}

	// The caller's own cancellation stops at once, without retrying.
	fake.Fail(dynatracetest.Fault{Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	n := len(fake.Requests())
	if _, err := c.Problems(ctx, "acme-cu", "production"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled call: %v", err)
	}
	if got := len(fake.Requests()) - n; got != 1 {
		t.Errorf("cancelled call sent %d requests, want 1", got)
	}
}

func TestProblemsBodyLimit(t *testing.T) {
	fake := dynatracetest.New(t, token)
	fake.Fail(dynatracetest.Fault{Status: 200, Body: `{"problems":[],"pad":"` + strings.Repeat("x", maxBody) + `"}`})
	c := newTestClient(t, fake, Config{})
	_, err := c.Problems(context.Background(), "acme-cu", "production")
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("error %v, want the size limit", err)
	}
}

// TestTokenNeverLeaks: whatever the server answers, even echoing the
// token, neither errors nor logs carry it.
func TestTokenNeverLeaks(t *testing.T) {
	echo := `{"error":{"code":%d,"message":"token ` + token + ` rejected"}}`
	fake := dynatracetest.New(t, token)
	fake.Fail(
		dynatracetest.Fault{Status: 500, Body: fmt.Sprintf(echo, 500)},
		dynatracetest.Fault{Status: 429, Body: fmt.Sprintf(echo, 429)},
		dynatracetest.Fault{Status: 502, Body: "proxy: Authorization: Api-Token " + token},
		dynatracetest.Fault{Status: 500, Body: fmt.Sprintf(echo, 500)},
	)
	c := newTestClient(t, fake, Config{})
	_, err := c.Problems(context.Background(), "acme-cu", "production")
	if err == nil {
		t.Fatal("no error")
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) && strings.Contains(apiErr.Message, token) {
		t.Errorf("APIError message carries the token")
	}
	if strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("error %q: token not redacted", err)
	}
	if strings.Contains(c.logged.String(), token) || !strings.Contains(c.logged.String(), "retrying") {
		t.Errorf("log carries the token or no retries: %s", c.logged)
	}

	fake.Fail(dynatracetest.Fault{Status: 401, Body: fmt.Sprintf(echo, 401)})
	_, err = c.Problems(context.Background(), "acme-cu", "production")
	if err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("401 error %v carries the token", err)
	}
}

func TestNewValidates(t *testing.T) {
	ok := Config{BaseURL: "https://abc123.live.dynatrace.com", Token: token, Selectors: map[string]string{"production": prodSel}}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no URL", func(c *Config) { c.BaseURL = "" }, "base URL is empty"},
		{"not http", func(c *Config) { c.BaseURL = "abc123.live.dynatrace.com" }, "not an http(s) URL"},
		{"query", func(c *Config) { c.BaseURL += "/?x=1" }, "query"},
		{"no token", func(c *Config) { c.Token = " " }, "token is empty"},
		{"token with space", func(c *Config) { c.Token = "dt0c01 " + token }, "whitespace"},
		{"bad key", func(c *Config) { c.Selectors = map[string]string{"a/b/c": prodSel} }, `"a/b/c"`},
		{"empty selector", func(c *Config) { c.Selectors = map[string]string{"production": " "} }, "empty"},
		{"page size", func(c *Config) { c.PageSize = 501 }, "page size 501"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.edit(&cfg)
			_, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error carries the token")
			}
		})
	}
	c, err := New(Config{BaseURL: "https://abc123.live.dynatrace.com/e/env1///", Token: token + "\n"})
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.BaseURL != "https://abc123.live.dynatrace.com/e/env1" || c.cfg.Token != token || c.cfg.Timeout != DefaultTimeout ||
		c.cfg.MaxRetries != DefaultMaxRetries || c.cfg.PageSize != DefaultPageSize || c.problems != `status("open")` {
		t.Errorf("defaults: %+v", c.cfg)
	}
	if c, _ := New(Config{BaseURL: ok.BaseURL, Token: token, MaxRetries: -1}); c.cfg.MaxRetries != 0 {
		t.Errorf("MaxRetries -1 gave %d retries", c.cfg.MaxRetries)
	}
}
