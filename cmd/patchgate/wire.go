package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/metrics"
	awsprovider "github.com/patchgate/patchgate/providers/aws"
	"github.com/patchgate/patchgate/providers/multi"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/daily"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/boltstore"
)

// openStoreFromFile loads a configuration and opens its store.
func openStoreFromFile(ctx context.Context, path string) (state.Store, *config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, cfg)
	return st, cfg, err
}

// openStore opens the configured backend.
func openStore(ctx context.Context, cfg *config.Config) (state.Store, error) {
	switch cfg.Store.Backend {
	case config.BackendRedis:
		return openRedis(ctx, cfg.Store.Redis)
	default:
		return boltstore.Open(cfg.Store.Bolt.Path)
	}
}

// app is everything a running patchgate is made of.
type app struct {
	cfg    *config.Config
	store  state.Store
	fleet  *sim.Fleet
	engine *runbooks.Engine
	// samlSources are certificate sources the cloud providers add (AWS IAM
	// SAML providers) beside the saml section's own.
	aws   *awsprovider.Provider
	slack *slackParts // nil when no slack section is configured
	// metrics times the store and providers and counts what the engine
	// does; observe serves it.
	metrics *metrics.Metrics
	// daily runs the daily checks (nil without Slack).
	daily *daily.Service
}

// wiring lets callers (demo, tests) swap parts before the engine is built.
type wiring struct {
	clock   runbooks.Clock
	chat    runbooks.Chat
	log     *slog.Logger
	lookup  config.Lookup // resolves env: secret references (default os.LookupEnv)
	reports string        // report directory
	// simFaults break the simulated fleet on purpose (the demo's story).
	simFaults sim.Faults
	// ready is called once everything is built, before serving starts
	// (tests attach simulated people here).
	ready func(*app)
	// metricsListen is where serve exposes /metrics, /healthz and /readyz
	// (none when empty); metricsReady gets the bound address.
	metricsListen string
	metricsReady  func(net.Addr)
	// slackReady gets the bound address of the Slack HTTP transport.
	slackReady func(net.Addr)
	// daily adjusts the daily checks (demo, tests).
	daily dailyWiring
	// slackTransport carries the Slack client's requests (nil: the default
	// transport); doctor reads the granted scopes off the responses.
	slackTransport http.RoundTripper
	// readOnly builds for commands that only read the store (cycle list and
	// show, report): no Slack client, so its tokens need not be set.
	readOnly bool
}

// build opens the store and providers of cfg and assembles the engine.
func build(ctx context.Context, cfg *config.Config, w wiring) (*app, error) {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	m := metrics.New()
	st = m.Store(st)
	a := &app{cfg: cfg, store: st, metrics: m}
	if w.log == nil {
		w.log = slog.Default()
	}
	if w.lookup == nil {
		w.lookup = os.LookupEnv
	}
	stable, _ := w.lookup(runbooks.ReplicaEnv)
	replica := runbooks.ReplicaID(stable)
	reportDir := w.reports
	if reportDir == "" {
		reportDir = "patchgate-reports"
	}
	reporter := &reports.Dir{Path: reportDir}
	deps := runbooks.Deps{
		Store: st, Clock: w.clock, Chat: w.chat, Log: w.log,
		Reporter: reporter, Archive: reports.LocalArchive{Dir: reportDir},
	}
	if err := auditNotary(ctx, cfg, w, &deps, reporter); err != nil {
		st.Close()
		return nil, err
	}
	if err := a.providers(ctx, w, &deps); err != nil {
		st.Close()
		return nil, err
	}
	if err := integrations(cfg, w, &deps); err != nil {
		st.Close()
		return nil, err
	}
	if cfg.Slack.Enabled() && w.chat == nil && !w.readOnly {
		// Approver groups are Slack user groups, and Slack shows the cycles.
		if a.slack, err = newSlack(cfg, w, m); err != nil {
			st.Close()
			return nil, err
		}
		deps.Chat = a.slack.notifierFor(cfg, st, w.clock, replica)
		deps.Directory = a.slack.directory
	}
	m.Instrument(&deps)
	deps.Chat = m.Chat(deps.Chat)
	ec := cfg.EngineConfig()
	ec.Replica = replica
	a.engine, err = runbooks.New(ec, deps, cfg.Tenants(), cfg.Pipeline())
	if err != nil {
		st.Close()
		return nil, err
	}
	m.Cycles(a.engine)
	if a.daily, err = newDailyChecks(cfg, st, a, deps.Pager, deps.Directory, w.clock, w.daily, w.log); err != nil {
		st.Close()
		return nil, err
	}
	if a.slack != nil {
		a.slack.attach(m.Decisions(a.engine), st, a.daily)
	}
	return a, nil
}

// providers builds the fleet the engine acts on. With kind sim the
// simulated fleet serves every port; each real cloud that is configured
// takes its own targets over through the router. With kind cloud nothing is
// simulated: sensors, health and paging must come from the integrations,
// and the engine refuses to start if a gate's provider is missing.
func (a *app) providers(ctx context.Context, w wiring, deps *runbooks.Deps) error {
	clouds := map[runbooks.Cloud]multi.Cloud{}
	for _, b := range cloudBuilders {
		c, ok, err := b.build(ctx, a.cfg, w, deps, a)
		if err != nil {
			return err // each builder names its section
		}
		if ok {
			clouds[b.cloud] = c
		}
	}
	if a.cfg.Providers.Kind == config.ProviderSim {
		s := a.cfg.Providers.Sim
		fleet, err := sim.New(sim.Config{
			Seed: s.Seed, Tenants: a.cfg.Tenants(), HostsPerTarget: s.HostsPerTarget,
			Clock: w.clock, Latency: s.Latency, OpDuration: s.OpDuration, StatePath: s.StatePath, Groups: s.Groups,
			Faults: w.simFaults,
		})
		if err != nil {
			return fmt.Errorf("providers.sim: %w", err)
		}
		a.fleet = fleet
		deps.Sensors, deps.Health, deps.Pager, deps.Directory = fleet, fleet, fleet, fleet
		if deps.Access == nil {
			deps.Access = fleet
		}
		if len(clouds) == 0 {
			deps.Inventory, deps.Backups, deps.Patcher = fleet, fleet, fleet
			return nil
		}
		// The simulation stands in for the clouds not configured for real.
		for _, name := range []runbooks.Cloud{runbooks.AWS, runbooks.Azure, runbooks.GCP} {
			if _, ok := clouds[name]; !ok {
				clouds[name] = multi.Cloud{Inventory: fleet, Backups: fleet, Patcher: fleet}
			}
		}
	}
	if len(clouds) == 0 {
		return fmt.Errorf("providers.kind is %s but no cloud (aws, azure, gcp) is configured", a.cfg.Providers.Kind)
	}
	if a.metrics != nil {
		for name, c := range clouds {
			c.Inventory, c.Backups, c.Patcher = a.metrics.Fleet(c.Inventory, c.Backups, c.Patcher)
			clouds[name] = c
		}
	}
	router, err := multi.New(clouds)
	if err != nil {
		return err
	}
	deps.Inventory, deps.Backups, deps.Patcher = router, router, router
	return nil
}
