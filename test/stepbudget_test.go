package test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/test/fakes"
)

// The step-budget scenarios point one real provider client at a hostile
// peer and run the real engine (two replicas on bolt, then on Redis) with
// the simulated fleet for everything else. Two kinds of hostile peer:
//
//   - a black hole: it accepts TCP connections and never writes a byte
//     (a bank's private endpoint or proxy that swallows requests);
//   - an HTML 500: it answers every request 500 with a text/html page (a
//     proxy's error page in front of the API).
//
// Either way the failing call must end inside engine.step_timeout, be
// counted as a failed attempt, and after max_errors attempts (one per
// tick) halt the cycle with a message naming the service and operation,
// page, and leave the cycle rejectable.

const (
	budgetStep      = time.Second
	budgetMaxErrors = 3
)

// hostile is the address of a hostile peer and how many connections it saw.
type hostile struct {
	URL   string // http(s)://host:port
	Addr  string // host:port
	conns *atomic.Int64
}

// blackHole accepts connections, holds them and never answers.
func blackHole(t *testing.T, scheme string) hostile {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		n    atomic.Int64
		mu   sync.Mutex
		held []net.Conn
	)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	return hostile{URL: scheme + "://" + l.Addr().String(), Addr: l.Addr().String(), conns: &n}
}

// html500 answers every request with a proxy's HTML error page.
func html500(t *testing.T, tls bool) hostile {
	t.Helper()
	var n atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, "<html><head><title>500 Internal Server Error</title></head><body><h1>Proxy error</h1></body></html>")
	})
	srv := httptest.NewUnstartedServer(h)
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return hostile{URL: srv.URL, Addr: srv.Listener.Addr().String(), conns: &n}
}

// budgetPeer is one outside system made hostile.
type budgetPeer struct {
	name   string
	tenant runbooks.Tenant
	tls    bool   // the client speaks only https (gofalcon)
	stage  string // the stage whose gate calls the peer
	phase  runbooks.Phase
	// names is what the failure must say: system, service and operation.
	names *regexp.Regexp
	// pager: the peer is the pager; the stage fails for its own reason
	// (a patch fault) and the page is what cannot get through.
	pager  bool
	faults func(tn string) sim.Faults
	// retries: the client retries a 500, so an HTML 500's failure must
	// say how many attempts it made.
	retries bool
	// wire replaces one dependency with the real client on peer.
	wire func(t *testing.T, peer hostile, d *runbooks.Deps)
}

// causes is what the failure says the peer did.
var causes = map[string]*regexp.Regexp{
	"black-hole": regexp.MustCompile(`no answer`),
	"html-500":   regexp.MustCompile(`HTTP 500 with a non-JSON body|an answer that is not JSON`),
}

func runStepBudget(t *testing.T, p budgetPeer) {
	for _, kind := range []string{"black-hole", "html-500"} {
		for _, b := range backends() {
			t.Run(kind+"/"+b.name, func(t *testing.T) {
				peer := map[string]func() hostile{
					"black-hole": func() hostile {
						if p.tls {
							return blackHole(t, "https")
						}
						return blackHole(t, "http")
					},
					"html-500": func() hostile { return html500(t, p.tls) },
				}[kind]()
				stepBudgetScenario(t, b, p, kind, peer)
			})
		}
	}
}

func budgetHarness(t *testing.T, b backend, p budgetPeer, peer hostile) *harness {
	t.Helper()
	h := &harness{t: t, store: b.open(t), clock: testkit.NewClock(start), chat: fakes.NewChat()}
	var faults sim.Faults
	if p.faults != nil {
		faults = p.faults(p.tenant.Name)
	}
	fleet, err := sim.New(sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{p.tenant}, HostsPerTarget: 1,
		Faults: faults, Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	h.fleet = fleet
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i := range 2 {
		deps := runbooks.Deps{Store: h.store, Clock: h.clock, Inventory: fleet, Sensors: fleet, Backups: fleet,
			Patcher: fleet, Health: fleet, Pager: fleet, Directory: fleet, Chat: h.chat, Log: log,
			Reporter: &reports.Dir{Path: t.TempDir(), Now: h.clock.Now}}
		p.wire(t, peer, &deps)
		e, err := runbooks.New(runbooks.Config{Replica: fmt.Sprintf("replica-%d", i), Workers: 8, LeaseTTL: 30 * time.Second,
			StepTimeout: budgetStep, MaxErrors: budgetMaxErrors}, deps, []runbooks.Tenant{p.tenant}, testPipeline())
		if err != nil {
			t.Fatal(err)
		}
		h.engines = append(h.engines, e)
	}
	return h
}

func stepBudgetScenario(t *testing.T, b backend, p budgetPeer, kind string, peer hostile) {
	ctx := context.Background()
	h := budgetHarness(t, b, p, peer)
	c := h.start(ctx, p.tenant.Name)

	// Ticks until the cycle halts; every tick that met the peer must end
	// within the step budget plus the write that records it.
	failing, rounds := 0, 0
	for ; rounds < 40; rounds++ {
		t0 := time.Now()
		h.tickAll(ctx)
		took := time.Since(t0)
		c = h.cycle(ctx, c.ID)
		s, _ := c.Stage(p.stage)
		if s.Errors > 0 || (s.Failure != nil && !p.pager) {
			failing++
			if limit := budgetStep + runbooks.DefaultRecordTimeout; took > limit {
				t.Errorf("a tick that met the %s took %v, more than the step budget and its write (%v)", kind, took, limit)
			}
		}
		if c.Status != runbooks.StatusRunning {
			break
		}
		h.approveWaiting(ctx)
		h.clock.Advance(time.Hour)
	}
	if c.Status != runbooks.StatusHalted {
		t.Fatalf("cycle %s after %d rounds, want halted", c.Status, rounds)
	}
	s := failedStage(t, c, p.stage, p.phase)
	if p.pager {
		budgetPagerFails(t, ctx, h, c, p, kind, peer)
	} else {
		if failing != budgetMaxErrors {
			t.Errorf("the stage failed after %d failing ticks, want max_errors = %d (one counted attempt per tick)", failing, budgetMaxErrors)
		}
		if !p.names.MatchString(s.Failure.Reason) || !causes[kind].MatchString(s.Failure.Reason) {
			t.Errorf("failure %q: want it to name %s and say %s", s.Failure.Reason, p.names, causes[kind])
		}
		if p.retries && kind == "html-500" && !regexp.MustCompile(`after [2-9] attempts`).MatchString(s.Failure.Reason) {
			t.Errorf("failure %q: want it to say how many attempts the client made", s.Failure.Reason)
		}
		h.tickAll(ctx) // pages, if the halting tick did not
		checkIncident(t, h.fleet.Stats(), runbooks.IncidentKey(c.ID, p.stage), sim.IncidentTriggered, 1, 0, 0)
		evs := stageEvents(h.events(ctx, c.ID), p.stage, runbooks.EvStageFailed)
		if len(evs) != 1 || evs[0].Data["raw_error"] == "" || evs[0].Data["operation"] == "" {
			t.Errorf("stage.failed events %+v: want one keeping the raw error and the operation", evs)
		}
	}
	if peer.conns.Load() == 0 {
		t.Errorf("the %s was never called", kind)
	}

	// Reject closes the halted cycle and frees the tenant.
	c = h.mustDecide(ctx, c.ID, p.stage, runbooks.Reject, alice)
	if c.Status != runbooks.StatusRejected {
		t.Fatalf("status %s after reject, want rejected", c.Status)
	}
	h.ticks(ctx, 2)
	if active, _ := h.engines[0].Active(ctx); len(active) != 0 {
		t.Fatalf("%d cycles still active after the reject", len(active))
	}
}

// budgetPagerFails checks a halt whose page cannot get through: the halt
// is shown in chat, the page is retried on later ticks, and the incident
// records the pager's failure naming PagerDuty's events API.
func budgetPagerFails(t *testing.T, ctx context.Context, h *harness, c *runbooks.Cycle, p budgetPeer, kind string, peer hostile) {
	t.Helper()
	h.ticks(ctx, 2)
	c = h.cycle(ctx, c.ID)
	s, _ := c.Stage(p.stage)
	if s.Incident.Triggered {
		t.Fatalf("the page went through a %s", kind)
	}
	if !p.names.MatchString(s.Incident.LastError) || !causes[kind].MatchString(s.Incident.LastError) {
		t.Errorf("pager failure %q: want it to name %s and say %s", s.Incident.LastError, p.names, causes[kind])
	}
	if s.Errors != 0 {
		t.Errorf("the pager's failures counted %d errors on the stage", s.Errors)
	}
	shown := h.chat.Events(c.ID)
	if !slices.ContainsFunc(shown, func(ev runbooks.Event) bool { return ev.Type == runbooks.EvStageFailed && ev.Stage == p.stage }) {
		t.Errorf("the halt was not shown in chat while the pager was down")
	}
	if strings.Contains(s.Incident.LastError, pdRoutingKey) {
		t.Errorf("the routing key reached the cycle record: %q", s.Incident.LastError)
	}
}
