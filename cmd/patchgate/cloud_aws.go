package main

import (
	"context"
	"fmt"

	"github.com/patchgate/patchgate/config"
	awsprovider "github.com/patchgate/patchgate/providers/aws"
)

// awsCloud builds the AWS provider from providers.aws; it is nil when AWS
// is not configured.
func awsCloud(ctx context.Context, cfg *config.Config, w wiring) (*awsprovider.Provider, error) {
	if !cfg.Providers.AWS.Enabled() {
		return nil, nil
	}
	pc := awsConfig(cfg)
	pc.Clock, pc.Log = w.clock, w.log
	p, err := awsprovider.New(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("providers.aws: %w", err)
	}
	return p, nil
}

// awsConfig maps the file's providers.aws onto the provider's Config; the
// sections are the provider's own settings types, so they pass as they are.
func awsConfig(cfg *config.Config) awsprovider.Config {
	a := cfg.Providers.AWS
	return awsprovider.Config{
		Region: a.Region, Accounts: a.Accounts, RoleName: a.RoleName, ExternalID: a.ExternalID, EndpointURL: a.EndpointURL, Endpoints: a.Endpoints,
		AccountConcurrency: a.AccountConcurrency, Tenants: cfg.Tenants(), StepTimeout: cfg.Engine.StepTimeout,
		Patch: a.Patch, Backup: a.Backup, Archive: a.Archive, IdentityCenter: a.IdentityCenter,
		Sensor: sensorInstall(cfg.EDR.Deploy.AWS),
	}
}

// sensorInstall maps edr.deploy.aws onto the AWS provider's install.
func sensorInstall(a config.EDRDeployAWS) awsprovider.SensorInstall {
	return awsprovider.SensorInstall{Document: a.Document, Package: a.Package, CIDParameter: a.CIDParameter, TokenParameter: a.TokenParameter}
}
