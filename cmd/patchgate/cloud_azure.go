package main

import (
	"context"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/azure"
	"github.com/patchgate/patchgate/providers/multi"
	"github.com/patchgate/patchgate/runbooks"
)

// azureCloud builds the Azure provider from providers.azure; ok is false
// when the section is absent, leaving Azure targets to whatever else the
// router has. It makes no network call: the credential is first used by
// the first inventory.
func azureCloud(_ context.Context, cfg *config.Config, w wiring) (c multi.Cloud, ok bool, err error) {
	if !cfg.Providers.Azure.Enabled() {
		return multi.Cloud{}, false, nil
	}
	if w.readOnly {
		u := unbuilt{"providers.azure"}
		return multi.Cloud{Inventory: u, Backups: u, Patcher: u}, true, nil
	}
	p, err := newAzure(cfg, w)
	if err != nil {
		return multi.Cloud{}, false, err
	}
	c = multi.Cloud{Inventory: p, Backups: p, Patcher: p, Findings: p, Restorer: p,
		Catalog: p.Catalog(cloudTargets(cfg, runbooks.Azure))}
	if cfg.EDR.Deploy.Azure.Enabled() {
		c.SensorInstaller = p
	}
	return c, true, nil
}

// newAzure builds the provider of providers.azure (serve and doctor).
func newAzure(cfg *config.Config, w wiring) (*azure.Provider, error) {
	a := cfg.Providers.Azure
	var secret string
	if a.CredentialKind() == config.AzureClientSecret {
		var err error
		if secret, err = a.ClientSecret.Resolve(w.lookup); err != nil {
			return nil, fmt.Errorf("providers.azure.client_secret: %w", err)
		}
	}
	var now func() time.Time // the demo's and tests' clock paces polls too
	if w.clock != nil {
		now = w.clock.Now
	}
	p, err := azure.New(azure.Config{
		TenantID: a.TenantID, ClientID: a.ClientID, ClientSecret: secret, Endpoint: a.Endpoint,
		Settings: a.Settings, StepTimeout: cfg.Engine.StepTimeout, Now: now, Log: w.log,
		Sensor: azureSensorInstall(cfg.EDR.Deploy.Azure, w),
	})
	if err != nil {
		return nil, fmt.Errorf("providers.azure: %w", err)
	}
	return p, nil
}

// azureSensorInstall maps edr.deploy.azure onto the provider's install;
// the secrets are resolved on each send, never at start.
func azureSensorInstall(a config.EDRDeployAzure, w wiring) azure.SensorInstall {
	s := azure.SensorInstall{Script: a.Script, ScriptURI: a.ScriptURI, Timeout: a.Timeout}
	if a.CIDSecret != "" {
		s.CID = func(context.Context) (string, error) { return a.CIDSecret.Resolve(w.lookup) }
	}
	if a.TokenSecret != "" {
		s.Token = func(context.Context) (string, error) { return a.TokenSecret.Resolve(w.lookup) }
	}
	return s
}
