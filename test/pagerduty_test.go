package test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/pagerduty"
	"github.com/patchgate/patchgate/providers/pagerduty/pdtest"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/test/fakes"
)

// These scenarios run the real engine (three replicas over one store, the
// simulated fleet) with the real PagerDuty client as its pager, pointed at
// pdtest's fake Events API, and count what reaches the fake.
//
// "Exactly one trigger" means: for each failure of a stage, PagerDuty
// accepts (answers 202 to) exactly one trigger for the stage's dedup key and
// opens exactly one incident. Requests the fake refused (429, 5xx) and the
// client retried are counted separately and are not triggers PagerDuty took.

const pdRoutingKey = "e2eR0UT1NGK3Y0123456789abcdefgh"

// pdEngines builds three replicas over the harness's store, fleet and clock,
// each with its own PagerDuty client on srv, as three processes would. The
// replica names are fixed, as a restarted pod keeps its name, so a rebuilt
// set takes over the leases the dropped set held.
func (h *harness) pdEngines(srv *pdtest.Server) []*runbooks.Engine {
	h.t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var out []*runbooks.Engine
	for i := range 3 {
		pager, err := pagerduty.New(pagerduty.Config{RoutingKey: pdRoutingKey, EventsURL: srv.URL,
			Component: "patch-cycle", Group: gateTenant().Name,
			Backoff: func(int) time.Duration { return time.Millisecond }, Log: log})
		if err != nil {
			h.t.Fatal(err)
		}
		e, err := runbooks.New(runbooks.Config{Replica: fmt.Sprintf("replica-%d", i), Workers: 8, LeaseTTL: 30 * time.Second},
			runbooks.Deps{Store: h.store, Clock: h.clock, Inventory: h.fleet, Sensors: h.fleet, Backups: h.fleet,
				Patcher: h.fleet, Health: h.fleet, Pager: pager, Directory: h.fleet, Chat: h.chat, Log: log,
				Reporter: &reports.Dir{Path: h.t.TempDir(), Now: h.clock.Now}},
			[]runbooks.Tenant{gateTenant()}, testPipeline())
		if err != nil {
			h.t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// newPDHarness is the gate harness (one tenant, three replicas) paging
// through PagerDuty instead of the sim's pager.
func newPDHarness(t *testing.T, b backend, srv *pdtest.Server, faults sim.Faults) *harness {
	t.Helper()
	h := &harness{t: t, store: b.open(t), clock: testkit.NewClock(start), chat: fakes.NewChat()}
	fleet, err := sim.New(sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{gateTenant()}, HostsPerTarget: 1,
		Faults: faults, Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	h.fleet = fleet
	h.engines = h.pdEngines(srv)
	return h
}

// pdCounts is what reached the fake for one dedup key.
type pdCounts struct {
	triggers, acks, resolves int // accepted (202)
	requests                 int // every request for the key, refused ones too
}

func pdCount(srv *pdtest.Server, key string) pdCounts {
	n := 0
	for _, r := range srv.Requests() {
		if r.DedupKey == key {
			n++
		}
	}
	return pdCounts{srv.Accepted("trigger", key), srv.Accepted("acknowledge", key), srv.Accepted("resolve", key), n}
}

// checkPD asserts what PagerDuty accepted for key and the incident it holds.
func checkPD(t *testing.T, srv *pdtest.Server, key string, want pdCounts, status string, opened, deduplicated int) {
	t.Helper()
	got := pdCount(srv, key)
	want.requests = got.requests // checked by the callers that know it
	if got != want {
		t.Errorf("%s: accepted %d triggers, %d acks, %d resolves; want %d, %d, %d",
			key, got.triggers, got.acks, got.resolves, want.triggers, want.acks, want.resolves)
	}
	inc, ok := srv.Incident(key)
	if !ok || inc.Status != status || inc.Opened != opened || inc.Deduplicated != deduplicated {
		t.Errorf("%s: incident %+v (found %v); want %s, opened %d, de-duplicated %d", key, inc, ok, status, opened, deduplicated)
	}
}

// pdActions lists the actions PagerDuty accepted for key, in order.
func pdActions(srv *pdtest.Server, key string) []string {
	var out []string
	for _, r := range srv.Requests() {
		if r.DedupKey == key && r.Status == 202 {
			out = append(out, r.Action)
		}
	}
	return out
}

// TestPagerDutyOnePageRacingReplicas: a patch failure on three racing
// replicas, with PagerDuty refusing the first calls (500, 429, 503), pages
// once; more racing ticks page no more; Retry acknowledges once; after the
// host is fixed the stage succeeds and the incident is resolved once.
func TestPagerDutyOnePageRacingReplicas(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			bad := hostName(tn, "nonprod", "app-01")
			srv := pdtest.New(t, pdRoutingKey)
			h := newPDHarness(t, b, srv, sim.Faults{PatchFail: []string{bad}})
			c := h.start(ctx, tn)
			c = h.runUntil(ctx, c.ID, "nonprod awaits approval", awaiting("nonprod"))
			srv.FailNext(pdtest.Failure{Status: 500}, pdtest.Failure{Status: 429}, pdtest.Failure{Status: 503, RetryAfter: "0"})
			c = h.runUntil(ctx, c.ID, "nonprod fails", halted)
			failedStage(t, c, "nonprod", runbooks.PhasePatch)
			key := runbooks.IncidentKey(c.ID, "nonprod")

			h.ticks(ctx, 5)
			checkPD(t, srv, key, pdCounts{triggers: 1}, pdtest.Triggered, 1, 0)
			if n := pdCount(srv, key).requests; n != 4 {
				t.Errorf("%d requests for %s, want 4: three refused and retried by the client, one accepted", n, key)
			}
			c = h.cycle(ctx, c.ID)
			if np, _ := c.Stage("nonprod"); !np.Incident.Triggered || np.Incident.Key != key {
				t.Errorf("stage incident %+v, want triggered under %s", np.Incident, key)
			}
			if evs := stageEvents(h.events(ctx, c.ID), "nonprod", runbooks.EvIncidentOpened); len(evs) != 1 {
				t.Errorf("%d incident.triggered events, want 1", len(evs))
			}
			var trig pdtest.Request
			for _, r := range srv.Requests() {
				if r.Action == "trigger" && r.Status == 202 {
					trig = r
				}
			}
			payload, _ := trig.Body["payload"].(map[string]any)
			details, _ := payload["custom_details"].(map[string]any)
			if payload["severity"] != "warning" || payload["source"] != "patchgate" || payload["class"] != "patch-cycle" ||
				!strings.Contains(fmt.Sprint(payload["summary"]), "nonprod halted") ||
				details["cycle"] != c.ID || details["tenant"] != tn || details["stage"] != "nonprod" || details["hosts"] != bad {
				t.Errorf("trigger payload %v", payload)
			}
			if st := h.fleet.Stats(); st.PageTriggers != 0 {
				t.Errorf("the sim pager was called %d times; PagerDuty is the pager", st.PageTriggers)
			}

			if err := h.fleet.FixHost(bad); err != nil {
				t.Fatal(err)
			}
			h.mustDecide(ctx, c.ID, "nonprod", runbooks.Retry, alice)
			h.tickAll(ctx)
			checkPD(t, srv, key, pdCounts{triggers: 1, acks: 1, resolves: 1}, pdtest.Resolved, 1, 0)
			h.finish(ctx, c.ID)
			checkPD(t, srv, key, pdCounts{triggers: 1, acks: 1, resolves: 1}, pdtest.Resolved, 1, 0)
			if got := pdActions(srv, key); !slices.Equal(got, []string{"trigger", "acknowledge", "resolve"}) {
				t.Errorf("accepted for %s: %v, want trigger, acknowledge, resolve", key, got)
			}
			if n := srv.Accepted("trigger", ""); n != 1 {
				t.Errorf("%d triggers over the whole cycle, want 1", n)
			}
		})
	}
}

// TestPagerDutyOutageAndRestart: while PagerDuty answers only 500s the
// stage still fails and the cycle halts, visibly, and the page waits in the
// store; the process set is dropped and rebuilt before the page went out;
// once PagerDuty is back the rebuilt set pages exactly once; another restart
// after the page sends nothing more; Retry and success then acknowledge and
// resolve once each.
func TestPagerDutyOutageAndRestart(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			bad := hostName(tn, "nonprod", "app-01")
			srv := pdtest.New(t, pdRoutingKey)
			h := newPDHarness(t, b, srv, sim.Faults{PatchFail: []string{bad}})
			c := h.start(ctx, tn)
			c = h.runUntil(ctx, c.ID, "nonprod awaits approval", awaiting("nonprod"))

			// PagerDuty is down: the cycle's own transitions go on.
			srv.Down(pdtest.Failure{Status: 500})
			c = h.runUntil(ctx, c.ID, "nonprod fails", halted)
			failedStage(t, c, "nonprod", runbooks.PhasePatch)
			key := runbooks.IncidentKey(c.ID, "nonprod")
			h.ticks(ctx, 2)
			c = h.cycle(ctx, c.ID)
			np, _ := c.Stage("nonprod")
			if c.Status != runbooks.StatusHalted || np.Incident.Triggered || np.Errors != 0 {
				t.Fatalf("during the outage: cycle %s, incident %+v, stage errors %d; want halted, not yet paged, no stage errors",
					c.Status, np.Incident, np.Errors)
			}
			refused := pdCount(srv, key).requests
			if refused < 5 || srv.Accepted("trigger", key) != 0 {
				t.Fatalf("during the outage %d trigger requests, %d accepted; want ≥ 5 refused (one call's retries), 0 accepted",
					refused, srv.Accepted("trigger", key))
			}
			shown := h.chat.Events(c.ID)
			if !slices.ContainsFunc(shown, func(ev runbooks.Event) bool { return ev.Type == runbooks.EvStageFailed && ev.Stage == "nonprod" }) {
				t.Errorf("the failure was not shown in chat during the outage")
			}

			// Restart before the page went out: a new set of processes.
			h.engines = h.pdEngines(srv)
			h.ticks(ctx, 1)
			if srv.Accepted("trigger", key) != 0 {
				t.Fatalf("a trigger was accepted while PagerDuty was down")
			}
			srv.Up()
			h.ticks(ctx, 3)
			checkPD(t, srv, key, pdCounts{triggers: 1}, pdtest.Triggered, 1, 0)
			if evs := stageEvents(h.events(ctx, c.ID), "nonprod", runbooks.EvIncidentOpened); len(evs) != 1 {
				t.Errorf("%d incident.triggered events, want 1", len(evs))
			}

			// Restart after the page: nothing is sent again.
			h.engines = h.pdEngines(srv)
			h.ticks(ctx, 3)
			checkPD(t, srv, key, pdCounts{triggers: 1}, pdtest.Triggered, 1, 0)

			// A retry that fails again is a second failure: it pages again
			// under the same key, once, after the acknowledge; PagerDuty
			// folds it into the incident still open (de-duplicated).
			h.mustDecide(ctx, c.ID, "nonprod", runbooks.Retry, alice)
			c = h.runUntil(ctx, c.ID, "nonprod fails again", halted)
			h.ticks(ctx, 2)
			checkPD(t, srv, key, pdCounts{triggers: 2, acks: 1}, pdtest.Acknowledged, 1, 1)

			if err := h.fleet.FixHost(bad); err != nil {
				t.Fatal(err)
			}
			h.mustDecide(ctx, c.ID, "nonprod", runbooks.Retry, alice)
			h.finish(ctx, c.ID)
			checkPD(t, srv, key, pdCounts{triggers: 2, acks: 2, resolves: 1}, pdtest.Resolved, 1, 1)
			if got := pdActions(srv, key); !slices.Equal(got, []string{"trigger", "acknowledge", "trigger", "acknowledge", "resolve"}) {
				t.Errorf("accepted for %s: %v", key, got)
			}
		})
	}
}
