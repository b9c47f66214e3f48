package test

import (
	"context"
	"crypto/tls"
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

	"github.com/aws/aws-sdk-go-v2/credentials"
	"google.golang.org/api/option"

	"github.com/patchgate/patchgate/internal/testkit"
	awsprovider "github.com/patchgate/patchgate/providers/aws"
	"github.com/patchgate/patchgate/providers/azure"
	"github.com/patchgate/patchgate/providers/azure/azuretest"
	"github.com/patchgate/patchgate/providers/dynatrace"
	"github.com/patchgate/patchgate/providers/falcon"
	"github.com/patchgate/patchgate/providers/gcp"
	"github.com/patchgate/patchgate/providers/pagerduty"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/test/fakes"
)

// lateStart answers StartPatch only once the step budget has run out, as a
// provider does that accepts the command and answers at the last moment.
type lateStart struct{ runbooks.Patcher }

func (p lateStart) StartPatch(ctx context.Context, req runbooks.OpRequest) (string, error) {
	h, err := p.Patcher.StartPatch(ctx, req)
	<-ctx.Done()
	return h, err
}

// TestStepBudgetHandleKeptAfterLateAnswer: a patch started right at the end
// of the step budget still has its (blob-sized) handle stored, because the
// blob write gets the record write's own deadline; the engine never has to
// count a failed attempt and find its own earlier request.
func TestStepBudgetHandleKeptAfterLateAnswer(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant()
			h := newHarness(t, b.open(t), sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{tn},
				HostsPerTarget: 4, HandleBytes: realHandleBytes}, 0)
			e, err := runbooks.New(runbooks.Config{Replica: "late", Workers: 2, LeaseTTL: 30 * time.Second,
				StepTimeout: 300 * time.Millisecond},
				runbooks.Deps{Store: h.store, Clock: h.clock, Inventory: h.fleet, Sensors: h.fleet, Backups: h.fleet,
					Patcher: lateStart{h.fleet}, Health: h.fleet, Pager: h.fleet, Directory: h.fleet, Chat: h.chat,
					Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Reporter: &reports.Dir{Path: t.TempDir(), Now: h.clock.Now}},
				[]runbooks.Tenant{tn}, testPipeline())
			if err != nil {
				t.Fatal(err)
			}
			h.engines = []*runbooks.Engine{e}
			c := h.start(ctx, tn.Name)
			c = h.runUntil(ctx, c.ID, "nonprod patch started", func(c *runbooks.Cycle) bool {
				s, _ := c.Stage("nonprod")
				return s.Patch.Sent()
			})
			s, _ := c.Stage("nonprod")
			if s.Patch.HandleBlob.IsZero() {
				t.Fatalf("patch handle of %d B kept inline; the test needs one in a blob", len(s.Patch.Handle))
			}
			for _, ev := range h.events(ctx, c.ID, runbooks.EvPatchStarted, runbooks.EvStageFailed) {
				if strings.Contains(ev.Detail, "found the earlier request") || ev.Type == runbooks.EvStageFailed {
					t.Errorf("%s %s: %s — the late answer's handle was not kept", ev.Stage, ev.Type, ev.Detail)
				}
			}
			if s.Errors != 0 {
				t.Errorf("nonprod counted %d failed attempt(s): %s", s.Errors, s.LastError)
			}
		})
	}
}

// cloudTenant is a tenant whose environments are all in one cloud.
func cloudTenant(name string, tg runbooks.Target) runbooks.Tenant {
	env := func(e string) runbooks.Environment {
		return runbooks.Environment{Name: e, Targets: []runbooks.Target{tg}}
	}
	return runbooks.Tenant{Name: name, Environments: []runbooks.Environment{env("nonprod"), env("staging"), env("production")}}
}

func TestStepBudgetAWS(t *testing.T) {
	runStepBudget(t, budgetPeer{name: "aws", retries: true, stage: "preflight", phase: runbooks.PhaseInventory,
		tenant: cloudTenant("harbor-cu", runbooks.Target{Cloud: runbooks.AWS, Account: "123456789012",
			Regions: []string{"eu-west-1"}, Selector: map[string]string{"PatchGroup": "web"}}),
		names: regexp.MustCompile(`aws (ec2|ssm) Describe\w+ \(account 123456789012, eu-west-1\)`),
		wire: func(t *testing.T, peer hostile, d *runbooks.Deps) {
			eps := map[string]string{}
			for _, s := range []string{"ec2", "ssm", "sts", "rds"} {
				eps[s] = peer.URL
			}
			p, err := awsprovider.New(context.Background(), awsprovider.Config{Region: "eu-west-1", Endpoints: eps,
				Credentials: credentials.NewStaticCredentialsProvider("AKFAKEBOT", "secret", ""),
				StepTimeout: budgetStep, MaxAttempts: 3, Log: quiet})
			if err != nil {
				t.Fatal(err)
			}
			d.Inventory = p
		}})
}

func TestStepBudgetAzure(t *testing.T) {
	runStepBudget(t, budgetPeer{name: "azure", retries: true, stage: "preflight", phase: runbooks.PhaseInventory,
		tenant: cloudTenant("contoso-cu", runbooks.Target{Cloud: runbooks.Azure, Account: azureSub,
			Groups: []string{"rg-web"}, Selector: map[string]string{"patch-group": "web"}}),
		names: regexp.MustCompile(`azure \w+ GET \w+.* \(subscription ` + azureSub + `\)`),
		wire: func(t *testing.T, peer hostile, d *runbooks.Deps) {
			p, err := azure.New(azure.Config{Credential: azuretest.Credential{}, Endpoint: peer.URL,
				StepTimeout: budgetStep, Log: quiet})
			if err != nil {
				t.Fatal(err)
			}
			d.Inventory = p
		}})
}

func TestStepBudgetGCP(t *testing.T) {
	runStepBudget(t, budgetPeer{name: "gcp", retries: true, stage: "preflight", phase: runbooks.PhaseInventory,
		tenant: cloudTenant("cascade-cu", runbooks.Target{Cloud: runbooks.GCP, Account: "cascade-prod",
			Regions: []string{"us-central1"}, Selector: map[string]string{"patch-group": "web"}}),
		names: regexp.MustCompile(`gcp (compute|osconfig) GET \w+ \(project cascade-prod`),
		wire: func(t *testing.T, peer hostile, d *runbooks.Deps) {
			p, err := gcp.New(context.Background(), gcp.Config{ComputeEndpoint: peer.URL + "/compute/v1/",
				OSConfigEndpoint: peer.URL + "/", Options: []option.ClientOption{option.WithoutAuthentication()},
				StepTimeout: budgetStep, Log: quiet})
			if err != nil {
				t.Fatal(err)
			}
			d.Inventory = p
		}})
}

func TestStepBudgetFalcon(t *testing.T) {
	runStepBudget(t, budgetPeer{name: "falcon", tls: true, stage: "nonprod", phase: runbooks.PhaseSensors,
		tenant: gateTenant(),
		names:  regexp.MustCompile(`falcon devices (GET|POST) /devices/`),
		wire: func(t *testing.T, peer hostile, d *runbooks.Deps) {
			c, err := falcon.New(falcon.Config{AccessToken: "falcon-test-token", HostOverride: peer.Addr,
				HTTPClient:  &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}},
				StepTimeout: budgetStep, Log: quiet})
			if err != nil {
				t.Fatal(err)
			}
			d.Sensors = c
		}})
}

func TestStepBudgetDynatrace(t *testing.T) {
	tn := gateTenant()
	runStepBudget(t, budgetPeer{name: "dynatrace", stage: "production", phase: runbooks.PhaseHealth, tenant: tn,
		names: regexp.MustCompile(`dynatrace problems GET /api/v2/problems \(environment 127\.0\.0\.1:\d+\)`),
		wire: func(t *testing.T, peer hostile, d *runbooks.Deps) {
			c, err := dynatrace.New(dynatrace.Config{BaseURL: peer.URL, Token: "dt0c01.BUDGET.SECRET",
				Selectors: map[string]string{"production": `type("HOST")`}, StepTimeout: budgetStep, Log: quiet})
			if err != nil {
				t.Fatal(err)
			}
			d.Health = c
		}})
}

func TestStepBudgetPagerDuty(t *testing.T) {
	tn := gateTenant()
	runStepBudget(t, budgetPeer{name: "pagerduty", stage: "nonprod", phase: runbooks.PhasePatch, tenant: tn, pager: true,
		faults: func(tn string) sim.Faults { return sim.Faults{PatchFail: []string{hostName(tn, "nonprod", "app-01")}} },
		names:  regexp.MustCompile(`pagerduty events enqueue trigger`),
		wire: func(t *testing.T, peer hostile, d *runbooks.Deps) {
			c, err := pagerduty.New(pagerduty.Config{RoutingKey: pdRoutingKey, EventsURL: peer.URL,
				StepTimeout: budgetStep, Log: quiet})
			if err != nil {
				t.Fatal(err)
			}
			d.Pager = c
		}})
}

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
