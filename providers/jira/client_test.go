package jira_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/jira"
	"github.com/patchgate/patchgate/providers/jira/jiratest"
	"github.com/patchgate/patchgate/runbooks"
)

const (
	email = "patchgate@acme.example"
	token = "ATATT-secret-api-token"
)

func newClient(t *testing.T, url string, mod func(*jira.Config)) *jira.Client {
	t.Helper()
	cfg := jira.Config{URL: url, Email: email, APIToken: token, Project: "CHG", StepTimeout: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := jira.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.SetSleep(func(ctx context.Context, d time.Duration) error { return ctx.Err() })
	return c
}

func spec(id string) runbooks.ChangeSpec {
	return runbooks.ChangeSpec{CycleID: id, Kind: runbooks.ChangeEmergency, ShortDescription: "patch acme",
		Justification: "critical CVE", BackoutPlan: "restore from the backups"}
}

// A create whose answer was lost is found again by the cycle's label, so
// the retry makes no second issue; an emergency change is marked as one.
func TestChangeRecordJiraLostAnswerMakesOneIssue(t *testing.T) {
	fake := jiratest.New(email, token)
	var dropped atomic.Bool
	fake.Fail = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && r.URL.Path == "/rest/api/3/issue" && dropped.CompareAndSwap(false, true) {
			rec := httptest.NewRecorder()
			fake.Fail = nil
			fake.ServeHTTP(rec, r)
			w.WriteHeader(http.StatusBadGateway)
			return true
		}
		return false
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	st, err := newClient(t, srv.URL, nil).Create(context.Background(), spec("acme-1"))
	if err != nil {
		t.Fatal(err)
	}
	issues := fake.Issues()
	if len(issues) != 1 || st.Number != "CHG-1" || st.State != "Open" || !strings.HasSuffix(st.URL, "/browse/CHG-1") {
		t.Fatalf("%d issues, status %+v", len(issues), st)
	}
	if s, _ := issues[0].Fields["summary"].(string); !strings.HasPrefix(s, "EMERGENCY ") {
		t.Errorf("summary %q: want it marked as an emergency change", s)
	}
}

// A move into a status the issue already has (a retry whose first answer
// was lost) is done; a move the workflow does not offer says which
// transitions it does.
func TestChangeRecordJiraTransitions(t *testing.T) {
	fake := jiratest.New(email, token)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, nil)
	ctx := context.Background()
	st, err := c.Create(ctx, spec("acme-2"))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if st, err = c.Transition(ctx, st.ID, runbooks.ChangeNormal, runbooks.ChangeRequested, "approve please"); err != nil || st.State != "Authorize" || st.Approval != "pending" {
			t.Fatalf("requested: %+v %v", st, err)
		}
	}
	_, err = c.Transition(ctx, st.ID, runbooks.ChangeNormal, runbooks.ChangeImplementing, "")
	if err == nil || !strings.Contains(err.Error(), `no transition into "Implementing"`) || !strings.Contains(err.Error(), "Cancel → Canceled") {
		t.Fatalf("implement before approval: %v", err)
	}
	fake.Decline(st.ID)
	if st, err = c.Get(ctx, st.ID); err != nil || !st.Rejected {
		t.Fatalf("declined: %+v %v", st, err)
	}
	st, err = c.Close(ctx, st.ID, runbooks.ChangeOutcome{Code: runbooks.CloseCanceled, Notes: "rejected", Evidence: []string{"file:///r.pdf"}})
	if err != nil || st.State != "Canceled" || !st.Closed {
		t.Fatalf("cancel: %+v %v", st, err)
	}
	if n := len(fake.Issues()[0].Comments); n != 3 {
		t.Errorf("%d comments, want 3 (two requests, one outcome)", n)
	}
}

// With approved_statuses, approval is read from the status and the
// Service Management API is not asked.
func TestChangeRecordJiraApprovedStatuses(t *testing.T) {
	fake := jiratest.New(email, token)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, func(cfg *jira.Config) { cfg.ApprovedStatuses = []string{"Authorize"} })
	st, err := c.Create(context.Background(), spec("acme-3"))
	if err != nil {
		t.Fatal(err)
	}
	st, err = c.Transition(context.Background(), st.ID, runbooks.ChangeNormal, runbooks.ChangeRequested, "")
	if err != nil || !st.Approved || fake.Count("GET /servicedeskapi/request/{key}/approval") != 0 {
		t.Fatalf("%+v %v", st, err)
	}
}

// Hostile peers end as CallErrors naming Jira and the operation, with the
// token nowhere in the text.
func TestChangeRecordJiraHostilePeers(t *testing.T) {
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<html><body>502 Bad Gateway "+token+"</body></html>")
	}))
	t.Cleanup(html.Close)
	hold := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hold:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(silent.Close)
	t.Cleanup(func() { close(hold) })
	for name, tc := range map[string]struct{ url, want string }{
		"html-502": {html.URL, "HTTP 502"}, "silent": {silent.URL, "no answer"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := newClient(t, tc.url, nil).Get(context.Background(), "CHG-1")
			ce, ok := runbooks.AsCallError(err)
			if !ok || ce.System != "jira" || ce.Operation != "GET /rest/api/3/issue/{key}" || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v: want a CallError naming jira, the operation and %q", err, tc.want)
			}
			if strings.Contains(err.Error()+ce.Raw(), token) {
				t.Error("the token leaked")
			}
		})
	}
}
