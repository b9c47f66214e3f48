// Package scale runs whole patch cycles through the real engine, store and
// Slack notifier (against the sandbox Slack, which counts Web API calls)
// over the simulated fleet, and measures what a cycle costs as the estate
// grows: record sizes, bytes written, Redis memory, idle tick cost, CPU per
// stage, peak RSS, Slack calls and audit events. cmd/scale runs it at every
// size for BENCHMARKS.md; the package's tests run it at its smallest size in
// CI so it cannot rot.
package scale

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/bot/sandbox"
	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/boltstore"
	"github.com/patchgate/patchgate/state/redisstore"
)

// RealHandleBytes are the bytes each host adds to an operation handle at
// the real providers: an AWS SSM command names every instance (~60 B each,
// ~600 KB at 10,000), Azure runs one operation per machine (~760 B each); a
// GCP OS Config patch job is one name whatever its size.
var RealHandleBytes = map[runbooks.Cloud]int{runbooks.AWS: 60, runbooks.Azure: 760}

// Options say what to run.
type Options struct {
	Tenants        int
	HostsPerTenant int // a multiple of 10 (each tenant has 10 target regions)
	// Backend is "bolt" (one replica, one file) or "redis" (Replicas
	// replicas sharing the server at RedisSocket).
	Backend     string
	Replicas    int
	RedisSocket string
	// RealHandles gives operation handles the real providers' sizes.
	RealHandles bool
	// NoReport leaves the compliance report out (the report stage then only
	// records that no reporter is configured).
	NoReport bool
	Dir      string // scratch directory: bolt file, reports
	Log      *slog.Logger
}

// Result is what one run measured. Sizes are bytes, times seconds.
type Result struct {
	Size      string `json:"size"`
	Backend   string `json:"backend"`
	Replicas  int    `json:"replicas"`
	Tenants   int    `json:"tenants"`
	Hosts     int    `json:"hosts"` // in all tenants
	Completed int    `json:"completed"`

	CycleRecordMax    int     `json:"cycle_record_max"` // largest cycle record written
	StoreValueMax     int     `json:"store_value_max"`  // largest value of any key or stream entry
	StoreValueMaxKey  string  `json:"store_value_max_key"`
	BytesPerCycle     int64   `json:"bytes_written_per_cycle"`
	WritesPerCycle    int64   `json:"writes_per_cycle"`
	RedisMemPerCycle  int64   `json:"redis_memory_per_cycle,omitempty"`
	IdleTickPerCycle  float64 `json:"idle_tick_wall_per_cycle"`
	IdleTickCPUPerCyc float64 `json:"idle_tick_cpu_per_cycle"`
	SlackCallsPerCyc  float64 `json:"slack_calls_per_cycle"`
	AuditEventsPerCyc float64 `json:"audit_events_per_cycle"`

	// CPUByStage is process CPU (engine, simulated fleet, notifier and the
	// sandbox Slack share the process) while most cycles were in a stage;
	// PeakRSSByStage the resident high-water mark in that stage.
	CPUByStage     map[string]float64 `json:"cpu_by_stage"`
	PeakRSSByStage map[string]int64   `json:"peak_rss_by_stage"`
	PeakRSS        int64              `json:"peak_rss"`
	CPU            float64            `json:"cpu"`
	Wall           float64            `json:"wall"`
	Rounds         int                `json:"rounds"`
}

// People of the harness's organisation: cycles are started by requester and
// approved (through Engine.Decide, as the CLI and Slack both do) by alice
// and, in production, bob.
const (
	requester = "U-REQ"
	alice     = "U-ALICE"
	bob       = "U-BOB"
)

var start = time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)

// Run starts one cycle per tenant and drives them all to completion.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	res := Result{Backend: o.Backend, Replicas: o.Replicas, Tenants: o.Tenants, Hosts: o.Tenants * o.HostsPerTenant,
		CPUByStage: map[string]float64{}, PeakRSSByStage: map[string]int64{}}
	res.Size = fmt.Sprintf("%d", o.HostsPerTenant)
	if o.Tenants > 1 {
		res.Size = fmt.Sprintf("%dx%d", o.Tenants, o.HostsPerTenant)
	}
	wall0, cpu0 := time.Now(), cpuTime()
	raw, err := openStore(ctx, o)
	if err != nil {
		return res, err
	}
	defer raw.Close()
	st := &meter{Store: raw}
	w, err := newWorld(ctx, o, st.store())
	if err != nil {
		return res, err
	}
	defer w.close()
	var memBefore int64
	if o.Backend == "redis" {
		if memBefore, err = redisUsedMemory(ctx, o.RedisSocket); err != nil {
			return res, err
		}
	}
	ids, err := w.startAll(ctx)
	if err != nil {
		return res, err
	}
	// Generating the fleet, opening the store, starting the cycles.
	res.CPUByStage["setup"] = (cpuTime() - cpu0).Seconds()
	if err := w.drive(ctx, &res); err != nil {
		return res, err
	}
	res.Wall, res.CPU = time.Since(wall0).Seconds(), (cpuTime() - cpu0).Seconds()
	// The notifiers post what is still queued before they return, so the
	// Slack call count is the whole cycle's.
	w.stopNotifiers()
	return res, w.collect(ctx, o, st, ids, memBefore, &res)
}

func openStore(ctx context.Context, o Options) (state.Store, error) {
	switch o.Backend {
	case "bolt":
		return boltstore.Open(filepath.Join(o.Dir, "state.db"))
	case "redis":
		return redisstore.Open(ctx, redisstore.Options{Network: "unix", Addr: o.RedisSocket, Prefix: "scale"})
	}
	return nil, fmt.Errorf("scale: unknown backend %q (bolt or redis)", o.Backend)
}

// world is the fleet, the sandbox Slack and the replicas of one run.
type world struct {
	tenants   []runbooks.Tenant
	fleet     *sim.Fleet
	clock     *testkit.Clock
	slack     *sandbox.Server
	engines   []*runbooks.Engine
	stopChat  []func()
	chatsDone bool
	reportCPU reportTimer // process CPU while reports were being made
}

func newWorld(ctx context.Context, o Options, st state.Store) (*world, error) {
	w := &world{clock: testkit.NewClock(start), tenants: sim.GenerateTenants(o.Tenants, 31)}
	cfg := sim.Config{Seed: 31, Tenants: w.tenants, HostsPerTarget: max(1, o.HostsPerTenant/10), Clock: w.clock,
		OpDuration: 30 * time.Minute, PageSize: 1000}
	if o.RealHandles {
		cfg.HandleBytes = RealHandleBytes
	}
	var err error
	if w.fleet, err = sim.New(cfg); err != nil {
		return nil, err
	}
	sbOpts := sandbox.DefaultOptions()
	sbOpts.Log = o.Log
	sbOpts.DiscardUploads = true // the figures are the bot's memory, not the workspace's
	w.slack = sandbox.New(sbOpts)
	if _, err := w.slack.Start(""); err != nil {
		return nil, err
	}
	pipeline := runbooks.DefaultPipeline()
	for i := range pipeline {
		pipeline[i].Approvers = []string{alice, bob}
	}
	for i := range o.Replicas {
		api := slack.New(sbOpts.BotToken, slack.OptionAPIURL(w.slack.APIURL()))
		n := bot.NewNotifier(api, st, bot.NotifierOptions{Channel: sbOpts.Channels[0].ID,
			Tenants: bot.TenantNames(w.tenants), UpdateInterval: 50 * time.Millisecond, Clock: w.clock,
			Log: o.Log, Replica: fmt.Sprintf("notifier-%d", i)})
		nctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan struct{})
		go func() { defer close(done); _ = n.Run(nctx) }()
		w.stopChat = append(w.stopChat, func() { cancel(); <-done })
		deps := runbooks.Deps{Store: st, Clock: w.clock, Inventory: w.fleet, Sensors: w.fleet, Backups: w.fleet,
			Patcher: w.fleet, Health: w.fleet, Pager: w.fleet, Directory: w.fleet, Chat: n, Log: o.Log}
		if !o.NoReport {
			deps.Reporter = &timedReporter{next: &reports.Dir{Path: filepath.Join(o.Dir, "reports"), Now: w.clock.Now}, t: &w.reportCPU}
		}
		e, err := runbooks.New(runbooks.Config{Replica: fmt.Sprintf("replica-%d", i), Workers: 8, LeaseTTL: time.Minute},
			deps, w.tenants, pipeline)
		if err != nil {
			return nil, err
		}
		w.engines = append(w.engines, e)
	}
	return w, nil
}

func (w *world) stopNotifiers() {
	if w.chatsDone {
		return
	}
	w.chatsDone = true
	for _, stop := range w.stopChat {
		stop()
	}
}

func (w *world) close() {
	w.stopNotifiers()
	_ = w.slack.Close()
}

// startAll starts every tenant's cycle, spread over the replicas.
func (w *world) startAll(ctx context.Context) (map[string]string, error) {
	ids := map[string]string{}
	for i, t := range w.tenants {
		c, err := w.engines[i%len(w.engines)].Start(ctx, t.Name, requester)
		if err != nil {
			return nil, fmt.Errorf("start cycle of %s: %w", t.Name, err)
		}
		ids[t.Name] = c.ID
	}
	return ids, nil
}

// timedReporter charges the process CPU spent while reports are made to
// the report stage; a report runs in the same tick as the end of
// production.
type timedReporter struct {
	next runbooks.Reporter
	t    *reportTimer
}

func (r *timedReporter) Report(ctx context.Context, in runbooks.ReportInput) (runbooks.Report, error) {
	r.t.begin()
	defer r.t.end()
	return r.next.Report(ctx, in)
}

// reportTimer adds up process CPU over the times at least one report runs,
// so reports made at once (one per tenant) are not counted twice.
type reportTimer struct {
	mu      sync.Mutex
	running int
	since   time.Duration
	total   time.Duration
}

func (t *reportTimer) begin() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.running == 0 {
		t.since = cpuTime()
	}
	t.running++
}

func (t *reportTimer) end() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.running--
	if t.running == 0 {
		t.total += cpuTime() - t.since
	}
}

// Load returns the CPU counted so far, including a report still running.
func (t *reportTimer) Load() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.running > 0 {
		return t.total + cpuTime() - t.since
	}
	return t.total
}
