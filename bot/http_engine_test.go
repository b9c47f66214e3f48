package bot

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// People of the engine tests.
const (
	userRequester = "U0REQ"
	userAlice     = "U0ALICE" // approves every tier
	userBob       = "U0BOB"   // second production approver
	userOutsider  = "U0EVE"
)

// newSimEngine is a real engine on st over the simulated demo fleet.
func newSimEngine(t testing.TB, st state.Store, replica string) *runbooks.Engine {
	t.Helper()
	fleet, err := sim.New(sim.Config{Seed: 7, Tenants: sim.DemoTenants()})
	if err != nil {
		t.Fatal(err)
	}
	p := runbooks.DefaultPipeline()
	for i := range p {
		p[i].Approvers = []string{userAlice}
		if p[i].Env == "production" {
			p[i].Approvers = []string{userAlice, userBob}
		}
	}
	e, err := runbooks.New(runbooks.Config{Replica: replica},
		runbooks.Deps{Store: st, Inventory: fleet, Sensors: fleet, Backups: fleet, Patcher: fleet, Health: fleet,
			Pager: fleet, Directory: fleet, Log: slog.New(slog.NewTextHandler(io.Discard, nil))},
		sim.DemoTenants(), p)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// The whole inbound path on the real engine and a real bbolt store: a
// command starts a cycle, an userOutsider's click is refused in the engine's
// words (and audited), a click on an outdated message is refused, the
// approver's click goes through, its redelivery does nothing.
func TestHTTPWithTheRealEngine(t *testing.T) {
	ctx := context.Background()
	st := openBolt(t)
	eng := newSimEngine(t, st, "r1")
	sink := newReplySink(t)
	h := NewHandler(eng, st, NewResponseURLReplier(sink.srv.Client(), nil), HandlerOptions{SigningSecret: testSecret, Log: inboundLog(t)})
	r := &rig{h: h, sink: sink}
	r.srv = newHTTPTestServer(t, h)
	stop := runUntilCleanup(t, h)

	got := r.command(t, userRequester, "start cascade-cu")
	id := regexp.MustCompile("`(cascade-cu-[^`]+)`").FindStringSubmatch(got)
	if id == nil {
		t.Fatalf("start replied %q", got)
	}
	cycle := id[1]
	var c *runbooks.Cycle
	for range 20 {
		if err := eng.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		var err error
		if c, err = eng.Get(ctx, cycle); err != nil {
			t.Fatal(err)
		}
		if i := c.Current(); i >= 0 && c.Stages[i].Phase == runbooks.PhaseApproval {
			break
		}
	}
	stage := c.Stages[c.Current()]
	if stage.Name != "nonprod" || stage.Phase != runbooks.PhaseApproval {
		t.Fatalf("cycle stands at %s %s, want nonprod awaiting approval", stage.Name, stage.Phase)
	}
	if got := r.command(t, userRequester, "status cascade-cu"); !strings.Contains(got, cycle) || !strings.Contains(got, "nonprod: awaiting approval (0/1)") {
		t.Fatalf("status: %q", got)
	}

	if got := r.click(t, userOutsider, buttonValue(cycle, "nonprod", runbooks.Approve, c.Revision)); got != "You are not an approver for nonprod, so you cannot approve it." {
		t.Fatalf("userOutsider's click: %q", got)
	}
	if got := r.click(t, userAlice, buttonValue(cycle, "nonprod", runbooks.Approve, c.Revision-1)); !strings.HasPrefix(got, "This message was out of date") {
		t.Fatalf("stale click: %q", got)
	}
	refusals, err := eng.Refusals(ctx, cycle)
	if err != nil || len(refusals) != 2 {
		t.Fatalf("refusals %v %v, want both audited", refusals, err)
	}

	// The approver's click, then Slack's redelivery of it.
	ts := time.Now().Format("20060102150405.000000")
	body := clickForm(clickPayload(buttonValue(cycle, "nonprod", runbooks.Approve, c.Revision), userAlice, ts, sink.url("approve")))
	for range 2 {
		if code := postSigned(t, r.srv.URL, PathInteractions, slackSign(testSecret, time.Now(), body), body); code != 200 {
			t.Fatalf("status %d", code)
		}
	}
	if rep := sink.next(t); rep.Body["text"] != "Approved nonprod (1/1); it starts now." {
		t.Fatalf("approval reply %v", rep.Body)
	}
	if c, err = eng.Get(ctx, cycle); err != nil || len(c.Stages[1].Approvals) != 1 || c.Stages[1].Approvals[0].By != userAlice {
		t.Fatalf("approvals after the click and its redelivery: %+v %v", c.Stages[1].Approvals, err)
	}

	if got := r.command(t, userRequester, "report "+cycle); !strings.Contains(got, "has no report yet") {
		t.Fatalf("report: %q", got)
	}
	if got := r.command(t, userRequester, "halt "+cycle+" maintenance window moved"); got != "Halted. Resume or retry when ready." {
		t.Fatalf("halt: %q", got)
	}
	if c, _ = eng.Get(ctx, cycle); c.Status != runbooks.StatusHalted || c.Halt.Reason != "maintenance window moved" || c.Halt.By != userRequester {
		t.Fatalf("after halt: %s %+v", c.Status, c.Halt)
	}
	if got := r.command(t, userOutsider, "resume "+cycle); !strings.HasPrefix(got, "You are not an approver") {
		t.Fatalf("userOutsider's resume: %q", got)
	}
	if got := r.command(t, userAlice, "start cascade-cu"); got != "tenant cascade-cu already has an active cycle: "+cycle {
		t.Fatalf("second start: %q", got)
	}
	stop() // drain: anything still queued has run
	if n := len(sink.all()); n != 9 {
		t.Fatalf("%d replies, want 9 (the redelivered click gets none)", n)
	}
}
