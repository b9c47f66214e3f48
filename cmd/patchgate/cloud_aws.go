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

// awsConfig maps the file's providers.aws onto the provider's Config.
func awsConfig(cfg *config.Config) awsprovider.Config {
	a := cfg.Providers.AWS
	accounts := make([]awsprovider.Account, len(a.Accounts))
	for i, x := range a.Accounts {
		accounts[i] = awsprovider.Account{ID: x.ID, Regions: x.Regions, RoleARN: x.RoleARN, ExternalID: x.ExternalID}
	}
	b := a.Patch.Baseline
	return awsprovider.Config{
		Region: a.Region, Accounts: accounts, RoleName: a.RoleName, ExternalID: a.ExternalID, Endpoints: a.Endpoints,
		AccountConcurrency: a.AccountConcurrency, Tenants: cfg.Tenants(),
		Patch: awsprovider.Patch{Document: a.Patch.Document, RebootOption: a.Patch.RebootOption,
			MaxConcurrency: a.Patch.MaxConcurrency, MaxErrors: a.Patch.MaxErrors, ScanWait: a.Patch.ScanWait,
			Baseline: awsprovider.Baseline{OperatingSystem: b.OperatingSystem, Severities: b.Severities,
				Classifications: b.Classifications, ApproveAfterDays: int32(b.ApproveAfterDays), PatchGroup: b.PatchGroup}},
		Backup: awsprovider.Backup{NoReboot: a.Backup.NoReboot, Timeout: a.Backup.Timeout},
		Archive: awsprovider.Archive{Bucket: a.Archive.Bucket, Prefix: a.Archive.Prefix, Region: a.Archive.Region,
			KMSKeyID: a.Archive.KMSKeyID, PresignExpiry: a.Archive.PresignExpiry},
		IdentityCenter: awsprovider.IdentityCenter{InstanceARN: a.IdentityCenter.InstanceARN,
			IdentityStoreID: a.IdentityCenter.IdentityStoreID, Region: a.IdentityCenter.Region},
	}
}
