package main

import (
	"context"

	"github.com/patchgate/patchgate/config"
	awsprovider "github.com/patchgate/patchgate/providers/aws"
	"github.com/patchgate/patchgate/providers/multi"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
)

// cloudBuilder builds one real cloud's provider from its config section;
// ok is false when the section is absent. A builder may also fill optional
// ports it serves (the access report, the evidence archive).
type cloudBuilder struct {
	cloud runbooks.Cloud
	build func(ctx context.Context, cfg *config.Config, w wiring, deps *runbooks.Deps, a *app) (multi.Cloud, bool, error)
}

// cloudBuilders are the real cloud providers, in the order they are built.
var cloudBuilders = []cloudBuilder{
	{runbooks.AWS, func(ctx context.Context, cfg *config.Config, w wiring, deps *runbooks.Deps, a *app) (multi.Cloud, bool, error) {
		c, access, archive, ok, err := awsCloud(ctx, cfg, w)
		if !ok || err != nil {
			return c, ok, err
		}
		// The saml section's aws-iam sources read IAM through it.
		a.aws = access.(*awsprovider.Provider)
		// IAM Identity Center is the access report of record once AWS is
		// configured, and a bucket makes S3 the evidence archive.
		deps.Access = access
		if d, isDir := deps.Reporter.(*reports.Dir); isDir && archive != nil {
			d.Archive = archive
			deps.Archive = archive
		}
		return c, true, nil
	}},
	{runbooks.GCP, func(ctx context.Context, cfg *config.Config, w wiring, _ *runbooks.Deps, _ *app) (multi.Cloud, bool, error) {
		return gcpCloud(ctx, cfg, w)
	}},
	{runbooks.Azure, func(ctx context.Context, cfg *config.Config, w wiring, _ *runbooks.Deps, _ *app) (multi.Cloud, bool, error) {
		return azureCloud(ctx, cfg, w)
	}},
}
