package main

import (
	"fmt"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/metrics"
	"github.com/patchgate/patchgate/providers/multi"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// simFleet builds the simulated fleet with kind sim; it is nil with kind
// cloud, where nothing is simulated: sensors, health and paging must come
// from the integrations, and the engine refuses to start if a gate's
// provider is missing.
func simFleet(cfg *config.Config, w wiring) (*sim.Fleet, error) {
	if cfg.Providers.Kind != config.ProviderSim {
		return nil, nil
	}
	s := cfg.Providers.Sim
	fleet, err := sim.New(sim.Config{
		Seed: s.Seed, Tenants: cfg.Tenants(), HostsPerTarget: s.HostsPerTarget,
		Clock: w.clock, Latency: s.Latency, OpDuration: s.OpDuration, StatePath: s.StatePath, Groups: s.Groups,
		Faults: w.simFaults, Pipeline: cfg.Pipeline(),
	})
	if err != nil {
		return nil, fmt.Errorf("providers.sim: %w", err)
	}
	return fleet, nil
}

// simulated are the ports the simulated fleet stands in for; all nil
// without one.
func simulated(fleet *sim.Fleet) runbooks.Deps {
	if fleet == nil {
		return runbooks.Deps{}
	}
	return runbooks.Deps{Sensors: fleet, Health: fleet, Pager: fleet, Directory: fleet, Access: fleet, Compliance: fleet,
		Prevention: fleet}
}

// route is the fleet the engine acts on: the simulated fleet alone when no
// real cloud is configured, else the multi-cloud router over the real
// clouds, with the simulation standing in for the clouds not configured
// for real (kind sim). Each cloud's calls are timed by m.
func route(cfg *config.Config, clouds map[runbooks.Cloud]multi.Cloud, fleet *sim.Fleet, m *metrics.Metrics) (multi.Cloud, error) {
	if fleet != nil {
		if len(clouds) == 0 {
			return multi.Cloud{Inventory: fleet, Backups: fleet, Patcher: fleet, Findings: fleet, Restorer: fleet, SensorInstaller: fleet, Catalog: m.Catalog(fleet)}, nil
		}
		for _, name := range []runbooks.Cloud{runbooks.AWS, runbooks.Azure, runbooks.GCP} {
			if _, ok := clouds[name]; !ok {
				clouds[name] = multi.Cloud{Inventory: fleet, Backups: fleet, Patcher: fleet, Findings: fleet, Restorer: fleet, SensorInstaller: fleet, Catalog: fleet}
			}
		}
	}
	if len(clouds) == 0 {
		return multi.Cloud{}, fmt.Errorf("providers.kind is %s but no cloud (aws, azure, gcp) is configured", cfg.Providers.Kind)
	}
	for name, c := range clouds {
		c.Inventory, c.Backups, c.Patcher = m.Fleet(c.Inventory, c.Backups, c.Patcher)
		c.Catalog = m.Catalog(c.Catalog)
		clouds[name] = c
	}
	router, err := multi.New(clouds)
	if err != nil {
		return multi.Cloud{}, err
	}
	c := multi.Cloud{Inventory: router, Backups: router, Patcher: router, Findings: router, Restorer: router, SensorInstaller: router}
	if router.HasCatalog() {
		c.Catalog = router
	}
	return c, nil
}
