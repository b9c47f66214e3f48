package servicenow_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/servicenow"
	"github.com/patchgate/patchgate/providers/servicenow/servicenowtest"
	"github.com/patchgate/patchgate/runbooks"
)

const (
	user     = "patchgate.integration"
	password = "s3cr3t-Pa55word-never-logged"
)

func newClient(t *testing.T, url string) *servicenow.Client {
	t.Helper()
	c, err := servicenow.New(servicenow.Config{URL: url, Username: user, Password: password,
		AssignmentGroup: "CAB", StepTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c.SetSleep(func(ctx context.Context, d time.Duration) error { return ctx.Err() })
	return c
}

func spec(cycle string) runbooks.ChangeSpec {
	return runbooks.ChangeSpec{CycleID: cycle, Tenant: "acme", Kind: runbooks.ChangeNormal,
		ShortDescription: "patch acme", Description: "d", Justification: "j", RiskImpact: "r",
		Implementation: "i", TestPlan: "t", BackoutPlan: "restore from the backups",
		PlannedStart: time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC), PlannedEnd: time.Date(2026, 12, 6, 6, 0, 0, 0, time.UTC)}
}

// The fake speaks the documented shapes (servicenowtest's package comment);
// this walks a normal change from creation to closure through it.
func TestChangeRecordServiceNowLifecycle(t *testing.T) {
	fake := servicenowtest.New(user, password)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)
	ctx := context.Background()

	st, err := c.Create(ctx, spec("acme-1"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Number != "CHG0030001" || st.State != "New" || st.Approved || !strings.Contains(st.URL, "/change_request.do?sys_id="+st.ID) {
		t.Fatalf("created %+v", st)
	}
	rec := fake.Records()[0]
	for k, want := range map[string]string{"correlation_id": "acme-1", "backout_plan": "restore from the backups",
		"start_date": "2026-12-06 02:00:00", "end_date": "2026-12-06 06:00:00", "assignment_group": "CAB", "type": "normal"} {
		if rec[k] != want {
			t.Errorf("field %s = %q, want %q", k, rec[k], want)
		}
	}
	again, err := c.Create(ctx, spec("acme-1"))
	if err != nil || again.ID != st.ID || len(fake.Records()) != 1 {
		t.Fatalf("second create for the same cycle: %+v %v, %d records", again, err, len(fake.Records()))
	}

	st, err = c.Transition(ctx, st.ID, runbooks.ChangeNormal, runbooks.ChangeRequested, "please approve")
	if err != nil || st.State != "Assess" || st.Approval != "Requested" {
		t.Fatalf("assess: %+v %v", st, err)
	}
	if _, err := c.Transition(ctx, st.ID, runbooks.ChangeNormal, runbooks.ChangeImplementing, "go"); err == nil ||
		!strings.Contains(err.Error(), "before it is approved") {
		t.Fatalf("implement before approval: %v, want the instance's refusal", err)
	}
	fake.Approve(st.Number)
	if st, err = c.Get(ctx, st.ID); err != nil || !st.Approved || st.State != "Scheduled" {
		t.Fatalf("after approval: %+v %v", st, err)
	}
	for _, to := range []runbooks.ChangeState{runbooks.ChangeImplementing, runbooks.ChangeReviewing} {
		if st, err = c.Transition(ctx, st.ID, runbooks.ChangeNormal, to, "n"); err != nil {
			t.Fatal(err)
		}
	}
	st, err = c.Close(ctx, st.ID, runbooks.ChangeOutcome{Code: runbooks.CloseSuccessful, Notes: "done",
		Evidence: []string{"s3://evidence/acme-1/report.pdf"}})
	if err != nil || !st.Closed || st.State != "Closed" {
		t.Fatalf("close: %+v %v", st, err)
	}
	rec = fake.Records()[0]
	if rec["close_code"] != "successful" || !strings.Contains(rec["work_notes"], "s3://evidence/acme-1/report.pdf") {
		t.Errorf("closed record %v: want close_code successful and the evidence link in the work notes", rec)
	}
}

// An emergency change is created on /change/emergency and asks for
// authorization rather than assessment.
func TestChangeRecordServiceNowEmergency(t *testing.T) {
	fake := servicenowtest.New(user, password)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)
	sp := spec("acme-e")
	sp.Kind = runbooks.ChangeEmergency
	st, err := c.Create(context.Background(), sp)
	if err != nil {
		t.Fatal(err)
	}
	if fake.Count("POST /change/emergency") != 1 || fake.Records()[0]["type"] != "emergency" {
		t.Fatalf("requests %v", fake.Requests)
	}
	st, err = c.Transition(context.Background(), st.ID, runbooks.ChangeEmergency, runbooks.ChangeRequested, "")
	if err != nil || st.State != "Authorize" {
		t.Fatalf("%+v %v", st, err)
	}
}

// The documentation's own create example (POST /sn_chg_rest/change/normal
// … "cURL request") answers result as a list holding one record whose
// sys_id is a plain string; the client reads it as well as the
// field-object form.
func TestChangeRecordServiceNowDocumentedExample(t *testing.T) {
	const documented = `{"result":[{"sys_id":"b0dbda5347c12200e0ef563dbb9a718f",
	  "number":{"value":"CHG0030052","display_value":"CHG0030052"},
	  "state":{"value":"-5","display_value":"New"},
	  "type":{"value":"normal","display_value":"Normal"},
	  "approval":{"value":"not requested","display_value":"Not Yet Requested"},
	  "short_description":{"value":"Reboot server","display_value":"Reboot server"},
	  "__meta":{"ignoredFields":["no_such_field"]}}]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet {
			fmt.Fprint(w, `{"result":[]}`)
			return
		}
		fmt.Fprint(w, documented)
	}))
	t.Cleanup(srv.Close)
	st, err := newClient(t, srv.URL).Create(context.Background(), spec("x"))
	if err != nil {
		t.Fatal(err)
	}
	if st.ID != "b0dbda5347c12200e0ef563dbb9a718f" || st.Number != "CHG0030052" || st.State != "New" || st.Approval != "Not Yet Requested" {
		t.Fatalf("%+v", st)
	}
}

// A create whose answer was lost (the instance made the record, the client
// saw a 503) is not repeated: the retry finds the record by correlation ID.
func TestChangeRecordServiceNowLostAnswerMakesOneRecord(t *testing.T) {
	fake := servicenowtest.New(user, password)
	var dropped atomic.Bool
	fake.SetFail(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && dropped.CompareAndSwap(false, true) {
			fake.SetFail(nil)
			fake.ServeHTTP(httptest.NewRecorder(), r)    // the record is made…
			w.WriteHeader(http.StatusServiceUnavailable) // …and the answer lost
			return true
		}
		return false
	})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	st, err := newClient(t, srv.URL).Create(context.Background(), spec("acme-2"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Records()); n != 1 || st.Number != "CHG0030001" {
		t.Fatalf("%d records, answer %+v; want the one record found again", n, st)
	}
}

// Hostile peers: an HTML 500 from a proxy, a 401, and a peer that never
// answers all end as a CallError naming ServiceNow and the operation,
// inside the step budget, with the password nowhere in the text.
func TestChangeRecordServiceNowHostilePeers(t *testing.T) {
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, "<html><body>Proxy error "+password+"</body></html>")
	}))
	t.Cleanup(html.Close)
	denied := httptest.NewServer(servicenowtest.New(user, "another"))
	t.Cleanup(denied.Close)
	hold := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-hold:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(silent.Close)
	t.Cleanup(func() { close(hold) })

	for name, tc := range map[string]struct {
		url  string
		want string
	}{
		"html-500": {html.URL, "HTTP 500"},
		"401":      {denied.URL, "credentials were refused"},
		"silent":   {silent.URL, "no answer"},
	} {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, tc.url)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			t0 := time.Now()
			_, err := c.Get(ctx, "abc")
			if err == nil {
				t.Fatal("no error")
			}
			ce, ok := runbooks.AsCallError(err)
			if !ok || ce.System != "servicenow" || !strings.Contains(ce.Operation, "GET /api/sn_chg_rest/v1/change/") {
				t.Fatalf("%T %v: want a CallError naming servicenow and the operation", err, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v: want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), password) || strings.Contains(ce.Raw(), password) {
				t.Errorf("the password leaked: %v", err)
			}
			if took := time.Since(t0); took > 2*time.Second+500*time.Millisecond {
				t.Errorf("took %v, more than the step budget", took)
			}
		})
	}
}

// The fake answers with the documented error body; the client's error
// says what the instance said.
func TestChangeRecordServiceNowErrorBody(t *testing.T) {
	fake := servicenowtest.New(user, password)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	_, err := newClient(t, srv.URL).Get(context.Background(), "missing")
	if err == nil || !strings.Contains(err.Error(), "No Record found") {
		t.Fatalf("%v", err)
	}
	var body map[string]any
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/api/sn_chg_rest/v1/change/missing", nil)
	req.SetBasicAuth(user, password)
	fake.ServeHTTP(rec, req)
	if json.Unmarshal(rec.Body.Bytes(), &body) != nil || body["status"] != "failure" {
		t.Fatalf("error body %s: want the documented {error, status: failure}", rec.Body)
	}
}
