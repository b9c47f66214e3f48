package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/boltstore"
	"github.com/patchgate/patchgate/state/redisstore"
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
		r := cfg.Store.Redis
		pw, err := r.Password.Resolve(nil)
		if err != nil {
			return nil, fmt.Errorf("store.redis.password: %w", err)
		}
		return redisstore.Open(ctx, redisstore.Options{Network: r.Network, Addr: r.Addr, Password: pw, DB: r.DB, Prefix: r.Prefix})
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
	slack  *slackParts // nil when no slack section is configured
	// hygiene runs the SAML check, drift report and status digest (nil
	// without Slack).
	hygiene *bot.HygieneService
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
	// hygiene adjusts the SAML and drift runbooks (demo, tests).
	hygiene hygieneWiring
}

// build opens the store and providers of cfg and assembles the engine.
func build(ctx context.Context, cfg *config.Config, w wiring) (*app, error) {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, store: st}
	if err := a.providers(w); err != nil {
		st.Close()
		return nil, err
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	reportDir := w.reports
	if reportDir == "" {
		reportDir = "patchgate-reports"
	}
	deps := runbooks.Deps{
		Store: st, Clock: w.clock, Chat: w.chat, Log: w.log,
		Inventory: a.fleet, Sensors: a.fleet, Backups: a.fleet, Patcher: a.fleet,
		Health: a.fleet, Pager: a.fleet, Directory: a.fleet,
		Reporter: &reports.Dir{Path: reportDir},
	}
	if err := integrations(cfg, w, &deps); err != nil {
		st.Close()
		return nil, err
	}
	if cfg.Slack.Enabled() && w.chat == nil {
		// Approver groups are Slack user groups, and Slack shows the cycles.
		if a.slack, err = newSlack(cfg, w); err != nil {
			st.Close()
			return nil, err
		}
		deps.Chat = a.slack.notifierFor(cfg, st, w.clock)
		deps.Directory = a.slack.directory
	}
	ec := cfg.EngineConfig()
	// A stable name (the pod's, through the downward API) lets a restarted
	// process take its own cycle leases back at once instead of waiting for
	// them to expire; two live processes must never share one.
	if r := os.Getenv("PATCHGATE_REPLICA"); r != "" {
		ec.Replica = r
	}
	a.engine, err = runbooks.New(ec, deps, cfg.Tenants(), cfg.Pipeline())
	if err != nil {
		st.Close()
		return nil, err
	}
	a.hygiene = newHygiene(cfg, st, a, deps.Pager, deps.Directory, w.clock, w.hygiene, w.log)
	if a.slack != nil {
		a.slack.attach(a.engine, st, a.hygiene)
	}
	return a, nil
}

// providers builds the configured outside systems. Only the simulated fleet
// exists so far; the cloud providers plug in here.
func (a *app) providers(w wiring) error {
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
	return nil
}
