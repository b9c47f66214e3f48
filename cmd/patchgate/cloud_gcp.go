package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/gcp"
	"github.com/patchgate/patchgate/providers/multi"
	"github.com/patchgate/patchgate/runbooks"
)

// gcpCloud builds the Google Cloud provider when the configuration has a
// providers.gcp section; ok is false when it has none, and GCP targets
// then stay with the simulation.
func gcpCloud(ctx context.Context, cfg *config.Config, w wiring) (c multi.Cloud, ok bool, err error) {
	if !cfg.Providers.GCP.Configured {
		return multi.Cloud{}, false, nil
	}
	p, err := newGCP(ctx, cfg, w)
	if err != nil {
		return multi.Cloud{}, false, err
	}
	c = multi.Cloud{Inventory: p, Backups: p, Patcher: p, Findings: p, Restorer: p,
		Catalog: p.Catalog(cloudTargets(cfg, runbooks.GCP))}
	if cfg.EDR.Deploy.GCP.Enabled() {
		c.SensorInstaller = p
	}
	return c, true, nil
}

// newGCP builds the provider of providers.gcp (serve and doctor).
func newGCP(ctx context.Context, cfg *config.Config, w wiring) (*gcp.Provider, error) {
	gc := gcpConfig(cfg.Providers.GCP, w)
	gc.StepTimeout = cfg.Engine.StepTimeout
	g := cfg.EDR.Deploy.GCP
	gc.Sensor = gcp.SensorInstall{Script: g.Script, WindowsScript: g.WindowsScript, Package: g.Package, Duration: g.Duration}
	p, err := gcp.New(ctx, gc)
	if err != nil {
		return nil, fmt.Errorf("providers.gcp: %w", err)
	}
	return p, nil
}

// gcpConfig turns the file's spelling (lowercase enums, endpoints with or
// without a trailing slash) into the provider's.
func gcpConfig(g config.GCP, w wiring) gcp.Config {
	return gcp.Config{
		CredentialsFile:  g.CredentialsFile,
		CredentialsType:  g.CredentialsType,
		ComputeEndpoint:  withSlash(g.ComputeEndpoint),
		OSConfigEndpoint: withSlash(g.OSConfigEndpoint),
		InventoryMaxAge:  g.InventoryMaxAge,
		ReadsPerMinute:   g.Quota.ReadsPerMinute,
		WritesPerMinute:  g.Quota.WritesPerMinute,
		Patch: gcp.PatchSettings{
			RolloutMode:             strings.ToUpper(g.Patch.RolloutMode),
			DisruptionBudgetPercent: g.Patch.DisruptionBudgetPercent,
			RebootConfig:            strings.ToUpper(g.Patch.RebootConfig),
			Duration:                g.Patch.Duration,
			PreStepLinux:            g.Patch.PreStep.Linux,
			PreStepWindows:          g.Patch.PreStep.Windows,
			PostStepLinux:           g.Patch.PostStep.Linux,
			PostStepWindows:         g.Patch.PostStep.Windows,
		},
		Clock: w.clock,
		Log:   w.log,
	}
}

// withSlash: the API clients join paths onto the endpoint as written.
func withSlash(u string) string {
	if u == "" || strings.HasSuffix(u, "/") {
		return u
	}
	return u + "/"
}
