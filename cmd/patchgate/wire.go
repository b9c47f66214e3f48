package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/metrics"
	awsprovider "github.com/patchgate/patchgate/providers/aws"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/daily"
	"github.com/patchgate/patchgate/runbooks/edr"
	"github.com/patchgate/patchgate/runbooks/sla"
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
	// sla is the patch SLA posture and exceptions (nil when no cloud
	// reads patch findings).
	sla *sla.Service
	// edr is the EDR sensor coverage (nil when nothing reads sensors).
	edr *edr.Service
	// catalog lists and deletes pre-patch backups for retention, per
	// cloud (nil when no cloud has one).
	catalog runbooks.BackupCatalog
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
	// intakeReady gets the bound address of the signed HTTP intake
	// (remediation.http_listen may be ":0").
	intakeReady func(net.Addr)
	// slackReady gets the bound address of the Slack HTTP transport.
	slackReady func(net.Addr)
	// daily adjusts the daily checks (demo, tests).
	daily dailyWiring
	// slackTransport carries the Slack client's requests (nil: the default
	// transport); doctor reads the granted scopes off the responses.
	slackTransport http.RoundTripper
	// readOnly builds for commands that only read the store (cycle list and
	// show, report): no Slack, Azure, Dynatrace, PagerDuty or Falcon
	// client, so their secrets need not be set.
	readOnly bool
	// sensors builds the EDR coverage service (Falcon) even for a
	// read-only build: `patchgate sensors` reads nothing else.
	sensors bool
}

// build opens the store and providers of cfg and assembles the engine.
func build(ctx context.Context, cfg *config.Config, w wiring) (*app, error) {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a, err := assemble(ctx, cfg, w, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// assemble builds every part as its concrete type first, then hands the
// engine its ports in one runbooks.Deps.
func assemble(ctx context.Context, cfg *config.Config, w wiring, st state.Store) (*app, error) {
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
	notary, err := auditNotary(ctx, cfg, w)
	if err != nil {
		return nil, err
	}
	clouds, err := buildClouds(ctx, cfg, w)
	if err != nil {
		return nil, err
	}
	a.aws = clouds.aws
	if a.fleet, err = simFleet(cfg, w); err != nil {
		return nil, err
	}
	fleet, err := route(cfg, clouds.fleets, a.fleet, m)
	if err != nil {
		return nil, err
	}
	a.catalog = fleet.Catalog
	services := unbuiltIntegrations(cfg)
	if !w.readOnly {
		if services, err = integrations(cfg, w); err != nil {
			return nil, err
		}
	}
	chat := w.chat
	var directory runbooks.Directory
	if cfg.Slack.Enabled() && w.chat == nil && !w.readOnly {
		// Approver groups are Slack user groups, and Slack shows the cycles.
		if a.slack, err = newSlack(cfg, w, m); err != nil {
			return nil, err
		}
		chat = a.slack.notifierFor(cfg, st, w.clock, replica)
		directory = a.slack.directory
	}
	reportDir := w.reports
	if reportDir == "" {
		reportDir = "patchgate-reports"
	}
	reporter := &reports.Dir{Path: reportDir, Archive: clouds.archive}
	var archive runbooks.Archive = reports.LocalArchive{Dir: reportDir}
	if clouds.archive != nil {
		archive = clouds.archive
	}
	var signer runbooks.Notary
	if notary != nil {
		signer, reporter.Sealer = notary, notary
	}
	// Coverage reads Falcon, which store-only commands do not need; the
	// engine's sensor deployments read it too.
	if !w.readOnly || w.sensors {
		if a.edr, err = newEDR(cfg, w, fleet, a.fleet, edrChat(cfg, a, w.log), w.log); err != nil {
			return nil, err
		}
	}
	// The simulation answers whatever no real service does (kind sim only).
	sims := simulated(a.fleet)
	deps := m.Instrument(runbooks.Deps{
		Store: st, Clock: w.clock, Log: w.log, Chat: m.Chat(chat),
		Inventory: fleet.Inventory, Backups: fleet.Backups, Patcher: fleet.Patcher, Restorer: fleet.Restorer,
		Sensors:       either(services.Sensors, sims.Sensors),
		Health:        either(services.Health, sims.Health),
		Pager:         either(services.Pager, sims.Pager),
		Changes:       services.Changes,
		ChangeRecords: services.ChangeRecords,
		Directory:     either(directory, sims.Directory),
		Access:        either(clouds.access(), sims.Access),
		Compliance:    either(clouds.compliance(), sims.Compliance),
		Reporter:      reporter, Archive: archive, Notary: signer,
		Prevention: either(services.Prevention, sims.Prevention),
	})
	if a.edr != nil && fleet.SensorInstaller != nil {
		deps.SensorInstaller, deps.SensorFleet = fleet.SensorInstaller, a.edr
	}
	ec := cfg.EngineConfig()
	ec.Replica = replica
	if a.engine, err = runbooks.New(ec, deps, cfg.Tenants(), cfg.Pipeline()); err != nil {
		return nil, err
	}
	m.Cycles(a.engine)
	if a.daily, err = newDailyChecks(cfg, st, a, deps.Pager, deps.Directory, w.clock, w.daily, w.log); err != nil {
		return nil, err
	}
	a.sla = newSLA(cfg, st, fleet, a.fleet, deps.Pager, deps.Directory, w.clock, slaChat(cfg, a, w.log), w.log)
	reporter.SLA = slaForReports(a.sla)
	if a.slack != nil {
		a.slack.attach(m.Decisions(a.engine), st, a.daily, a.sla, a.edr)
	}
	return a, nil
}

// either is a, or b when a is unset.
func either[T comparable](a, b T) T {
	var unset T
	if a != unset {
		return a
	}
	return b
}
