package test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/servicenow"
	"github.com/patchgate/patchgate/providers/servicenow/servicenowtest"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
)

// These scenarios run the real engine (three replicas over one store, bolt
// and Redis, the simulated fleet) with the real ServiceNow client as its
// change platform, pointed at servicenowtest: an instance that speaks the
// Change Management API's documented shapes and, like a change model,
// refuses to implement a normal change before it is approved.

const (
	snUser     = "svc.patchgate"
	snPassword = "Sn0w-pa55word-e2e"
)

// snEngines builds three replicas, each with its own ServiceNow client on
// url, as three processes would; a rebuilt set is a restart.
func (h *harness) snEngines(url string, pipeline runbooks.Pipeline, stepTimeout time.Duration) []*runbooks.Engine {
	h.t.Helper()
	return h.changeEngines(pipeline, stepTimeout, func() runbooks.ChangeRecords {
		cr, err := servicenow.New(servicenow.Config{URL: url, Username: snUser, Password: snPassword, StepTimeout: stepTimeout})
		if err != nil {
			h.t.Fatal(err)
		}
		cr.SetSleep(func(ctx context.Context, d time.Duration) error { return ctx.Err() })
		return cr
	})
}

// changeEngines builds three replicas, each with its own change platform
// client from newClient.
func (h *harness) changeEngines(pipeline runbooks.Pipeline, stepTimeout time.Duration, newClient func() runbooks.ChangeRecords) []*runbooks.Engine {
	h.t.Helper()
	var out []*runbooks.Engine
	for i := range 3 {
		cr := newClient()
		e, err := runbooks.New(runbooks.Config{Replica: fmt.Sprintf("replica-%d", i), Workers: 8, LeaseTTL: 30 * time.Second,
			StepTimeout: stepTimeout},
			runbooks.Deps{Store: h.store, Clock: h.clock, Inventory: h.fleet, Sensors: h.fleet, Backups: h.fleet,
				Patcher: h.fleet, Health: h.fleet, Pager: h.fleet, Directory: h.fleet, Chat: h.chat, Log: quiet,
				Reporter: &reports.Dir{Path: h.t.TempDir(), Now: h.clock.Now}, ChangeRecords: cr},
			[]runbooks.Tenant{gateTenant()}, pipeline)
		if err != nil {
			h.t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func newSNHarness(t *testing.T, b backend, fake *servicenowtest.Server, pipeline runbooks.Pipeline) (*harness, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	h := newGateHarness(t, b, sim.Faults{})
	h.engines = h.snEngines(srv.URL, pipeline, 5*time.Second)
	return h, srv
}

// stateOf is the ServiceNow state of the one change record.
func stateOf(t *testing.T, fake *servicenowtest.Server) string {
	t.Helper()
	recs := fake.Records()
	if len(recs) != 1 {
		t.Fatalf("%d change records, want 1", len(recs))
	}
	return servicenowtest.StateName(recs[0]["state"])
}

// One cycle makes one change across three replicas and a restart of all
// of them, and the change's state follows the stages: Assess while the
// first stage waits, Implement once hosts change, Review at the report,
// Closed (successful, with the evidence links) at the end.
func TestChangeRecordOneChangePerCycleFollowsStages(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			fake := servicenowtest.New(snUser, snPassword)
			h, srv := newSNHarness(t, b, fake, testPipeline())
			c := h.start(ctx, gateTenant().Name)
			c = h.runUntil(ctx, c.ID, "nonprod awaits approval", awaiting("nonprod"))
			if got := stateOf(t, fake); got != "Assess" {
				t.Fatalf("state %s while nonprod awaits approval, want Assess", got)
			}
			if c.Change == nil || c.Change.Number != "CHG0030001" || c.Change.State != runbooks.ChangeRequested {
				t.Fatalf("cycle's change %+v", c.Change)
			}

			// The CAB approves; every replica restarts.
			fake.Approve(c.Change.Number)
			h.engines = h.snEngines(srv.URL, testPipeline(), 5*time.Second)
			c = h.runUntil(ctx, c.ID, "staging awaits approval", awaiting("staging"))
			if got := stateOf(t, fake); got != "Implement" {
				t.Fatalf("state %s after nonprod patched, want Implement; change %+v", got, c.Change)
			}
			c = h.finish(ctx, c.ID)
			if c.Status != runbooks.StatusCompleted {
				t.Fatalf("cycle %s", c.Status)
			}
			recs := fake.Records()
			t.Logf("requests to ServiceNow for one cycle: %v", fake.Requests)
			if len(recs) != 1 || fake.Count("POST /change/normal") != 1 {
				t.Fatalf("%d records after %d creates, want one", len(recs), fake.Count("POST /change/normal"))
			}
			rec := recs[0]
			if rec["correlation_id"] != c.ID || rec["state"] != "3" || rec["close_code"] != "successful" {
				t.Errorf("closed record: correlation %q state %q close_code %q", rec["correlation_id"], rec["state"], rec["close_code"])
			}
			if c.Report == nil || !strings.Contains(rec["work_notes"], c.Report.Location) {
				t.Errorf("work notes %q: want the report's location as evidence", rec["work_notes"])
			}
			for _, f := range []string{"justification", "risk_impact_analysis", "implementation_plan", "test_plan", "backout_plan", "start_date", "end_date"} {
				if rec[f] == "" {
					t.Errorf("field %s is empty", f)
				}
			}
			if !strings.Contains(rec["backout_plan"], "backups") {
				t.Errorf("back-out plan %q: want the backups", rec["backout_plan"])
			}
			got := c.Change.States
			want := []string{"requested: Assess", "implement: Implement", "review: Review", "closed: Closed"}
			if !slices.Equal(got, want) {
				t.Errorf("states %q, want %q", got, want)
			}
			for typ, n := range map[string]int{runbooks.EvChangeCreated: 1, runbooks.EvChangeApproved: 1, runbooks.EvChangeClosed: 1, runbooks.EvChangeTransition: 3} {
				if evs := h.events(ctx, c.ID, typ); len(evs) != n {
					t.Errorf("%d %s events, want %d", len(evs), typ, n)
				} else if evs[0].Data["number"] != "CHG0030001" || evs[0].Data["source"] != "servicenow" {
					t.Errorf("%s event %+v: want the change number and source", typ, evs[0].Data)
				}
			}
			h.checkTrail(ctx, c)
		})
	}
}

// A storm of 503s (JSON and HTML) from ServiceNow loses nothing: the
// cycle goes on without waiting (no tier requires the approval), the
// failure is shown on the stage and audited once, and when the storm ends
// the one record is created and catches up with the stages.
func TestChangeRecordStormLosesNothing(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			fake := servicenowtest.New(snUser, snPassword)
			fake.AutoApprove = true
			var storm atomic.Bool
			var refused atomic.Int64
			storm.Store(true)
			fake.SetFail(func(w http.ResponseWriter, r *http.Request) bool {
				if !storm.Load() {
					return false
				}
				if refused.Add(1)%2 == 0 {
					w.Header().Set("Content-Type", "text/html")
					w.WriteHeader(http.StatusServiceUnavailable)
					fmt.Fprint(w, "<html><body>Instance hibernating</body></html>")
					return true
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprint(w, `{"error":{"message":"Service Unavailable","detail":"node restarting"},"status":"failure"}`)
				return true
			})
			h, _ := newSNHarness(t, b, fake, testPipeline())
			c := h.start(ctx, gateTenant().Name)
			c = h.runUntil(ctx, c.ID, "staging awaits approval", awaiting("staging"))
			if len(fake.Records()) != 0 || refused.Load() == 0 {
				t.Fatalf("%d records, %d refused requests during the storm", len(fake.Records()), refused.Load())
			}
			if tr := c.ChangeTrouble(); c.Change.Errors == 0 || !strings.Contains(tr, "change record create in ServiceNow failed") ||
				!strings.Contains(tr, "503") {
				t.Fatalf("trouble %q, change %+v: want the failing create shown", tr, c.Change)
			}
			if evs := h.events(ctx, c.ID, runbooks.EvChangeFailed); len(evs) != 1 || !strings.Contains(evs[0].Detail, "503") {
				t.Errorf("change.unavailable events %+v: want one naming the 503", evs)
			}

			storm.Store(false)
			c = h.finish(ctx, c.ID)
			if c.Status != runbooks.StatusCompleted || len(fake.Records()) != 1 {
				t.Fatalf("cycle %s with %d records", c.Status, len(fake.Records()))
			}
			if got := stateOf(t, fake); got != "Closed" {
				t.Errorf("record %s, want Closed", got)
			}
			if len(c.Change.States) != 4 {
				t.Errorf("states %q: want requested, implement, review, closed", c.Change.States)
			}
			h.checkTrail(ctx, c)
		})
	}
}

// require_change_approval on production holds the stage before it opens
// until ServiceNow has the change approved, however often Slack is ready;
// the approval in ServiceNow opens it.
func TestChangeRecordRequireApprovalHoldsStage(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			fake := servicenowtest.New(snUser, snPassword)
			p := testPipeline()
			p[len(p)-1].RequireChangeApproval = true
			h, _ := newSNHarness(t, b, fake, p)
			c := h.start(ctx, gateTenant().Name)
			// nonprod and staging go on without the approval.
			c = h.runUntil(ctx, c.ID, "production is next", func(c *runbooks.Cycle) bool {
				return c.Current() >= 0 && c.Stages[c.Current()].Name == "production"
			})
			for range 5 {
				h.tickAll(ctx)
				h.approveWaiting(ctx)
				h.clock.Advance(10 * time.Minute)
			}
			h.tickAll(ctx)
			c = h.cycle(ctx, c.ID)
			s, i := c.Stage("production")
			if s.Phase != runbooks.PhasePending || c.Status != runbooks.StatusRunning {
				t.Fatalf("production %s (cycle %s) without the change approved, want held pending", s.Phase, c.Status)
			}
			if a := runbooks.Next(c, h.clock.Now()); a.Kind != runbooks.ActWait || a.Stage != i ||
				!strings.Contains(a.Reason, "waiting for ServiceNow CHG0030001") {
				t.Fatalf("next %v: want a wait naming the change", a)
			}
			if got := stateOf(t, fake); got != "Assess" {
				t.Fatalf("state %s, want Assess (awaiting approval)", got)
			}

			fake.Approve(c.Change.Number)
			h.clock.Advance(time.Minute)
			h.tickAll(ctx)
			c = h.cycle(ctx, c.ID)
			if s, _ := c.Stage("production"); s.Phase != runbooks.PhaseApproval {
				t.Fatalf("production %s after the approval, want awaiting the Slack approvals", s.Phase)
			}
			if evs := h.events(ctx, c.ID, runbooks.EvChangeApproved); len(evs) != 1 {
				t.Errorf("%d change.approved events, want 1", len(evs))
			}
			c = h.finish(ctx, c.ID)
			if c.Status != runbooks.StatusCompleted || stateOf(t, fake) != "Closed" {
				t.Fatalf("cycle %s, record %s", c.Status, stateOf(t, fake))
			}
		})
	}
}

// Hostile ServiceNow peers (one that never answers, one that answers 500
// with an HTML page) cost each tick no more than the step budget, never
// halt the cycle, and are shown naming ServiceNow and the cause.
func TestChangeRecordHostilePeers(t *testing.T) {
	for _, kind := range []string{"black-hole", "html-500"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			peer := map[string]func() hostile{
				"black-hole": func() hostile { return blackHole(t, "http") },
				"html-500":   func() hostile { return html500(t, false) },
			}[kind]()
			h := newGateHarness(t, backends()[0], sim.Faults{})
			h.engines = h.snEngines(peer.URL, testPipeline(), budgetStep)
			c := h.start(ctx, gateTenant().Name)
			for range 6 {
				t0 := time.Now()
				h.tickAll(ctx)
				if took := time.Since(t0); took > budgetStep+runbooks.DefaultRecordTimeout {
					t.Errorf("a tick took %v, more than the step budget and its write", took)
				}
				h.approveWaiting(ctx)
				h.clock.Advance(time.Hour)
			}
			c = h.cycle(ctx, c.ID)
			if c.Status != runbooks.StatusRunning || c.Current() < 2 {
				t.Fatalf("cycle %s at stage %d: the change platform must not hold it", c.Status, c.Current())
			}
			if c.Change.Errors == 0 || !strings.Contains(c.Change.LastError, "servicenow") || !causes[kind].MatchString(c.Change.LastError) {
				t.Errorf("last error %q: want it to name servicenow and say %s", c.Change.LastError, causes[kind])
			}
			if strings.Contains(c.Change.LastError, snPassword) {
				t.Error("the password leaked")
			}
			if peer.conns.Load() == 0 {
				t.Error("the peer was never called")
			}
		})
	}
}
