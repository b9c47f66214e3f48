package main

import (
	"context"
	"fmt"

	"github.com/patchgate/patchgate/config"
	awsprovider "github.com/patchgate/patchgate/providers/aws"
	"github.com/patchgate/patchgate/providers/multi"
	"github.com/patchgate/patchgate/runbooks"
)

// awsCloud builds the AWS provider from providers.aws: the fleet ports for
// the multi-cloud router, the access report and, when a bucket is set, the
// S3 evidence archive. ok is false when AWS is not configured.
func awsCloud(ctx context.Context, cfg *config.Config, w wiring) (c multi.Cloud, access runbooks.Access, archive runbooks.Archive, ok bool, err error) {
	a := cfg.Providers.AWS
	if !a.Enabled() {
		return multi.Cloud{}, nil, nil, false, nil
	}
	pc := awsConfig(cfg)
	pc.Clock, pc.Log = w.clock, w.log
	p, err := awsprovider.New(ctx, pc)
	if err != nil {
		return multi.Cloud{}, nil, nil, false, fmt.Errorf("providers.aws: %w", err)
	}
	if a.Archive.Bucket != "" {
		archive = p
	}
	return multi.Cloud{Inventory: p, Backups: p, Patcher: p}, p, archive, true, nil
}

// awsConfig maps the file's providers.aws onto the provider's Config; the
// sections are the provider's own settings types, so they pass as they are.
func awsConfig(cfg *config.Config) awsprovider.Config {
	a := cfg.Providers.AWS
	return awsprovider.Config{
		Region: a.Region, Accounts: a.Accounts, RoleName: a.RoleName, ExternalID: a.ExternalID, EndpointURL: a.EndpointURL, Endpoints: a.Endpoints,
		AccountConcurrency: a.AccountConcurrency, Tenants: cfg.Tenants(), StepTimeout: cfg.Engine.StepTimeout,
		Patch: a.Patch, Backup: a.Backup, Archive: a.Archive, IdentityCenter: a.IdentityCenter,
	}
}
