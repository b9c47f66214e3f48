package main

import (
	"context"

	"github.com/patchgate/patchgate/config"
	awsprovider "github.com/patchgate/patchgate/providers/aws"
	"github.com/patchgate/patchgate/providers/multi"
	"github.com/patchgate/patchgate/runbooks"
)

// realClouds are the configured real cloud providers. AWS is kept as its
// concrete provider because wiring hands it out as more than a fleet: the
// saml section's aws-iam sources read IAM through it, IAM Identity Center
// is the access report of record, and with a bucket S3 is the evidence
// archive.
type realClouds struct {
	fleets map[runbooks.Cloud]multi.Cloud
	aws    *awsprovider.Provider // nil without providers.aws
	// archive is the S3 evidence archive (nil without
	// providers.aws.archive.bucket).
	archive runbooks.Archive
}

// access is the access report the clouds serve (nil when none does).
func (r realClouds) access() runbooks.Access {
	if r.aws == nil {
		return nil
	}
	return r.aws
}

// compliance is AWS Config, which remediations ask to re-evaluate the
// instances they patched (nil without providers.aws).
func (r realClouds) compliance() runbooks.ComplianceEvaluator {
	if r.aws == nil {
		return nil
	}
	return r.aws
}

// buildClouds builds the provider of each cloud section present, in the
// order AWS, GCP, Azure; each error names its section.
func buildClouds(ctx context.Context, cfg *config.Config, w wiring) (realClouds, error) {
	r := realClouds{fleets: map[runbooks.Cloud]multi.Cloud{}}
	p, err := awsCloud(ctx, cfg, w)
	if err != nil {
		return r, err
	}
	if p != nil {
		r.aws = p
		r.fleets[runbooks.AWS] = multi.Cloud{Inventory: p, Backups: p, Patcher: p, Findings: p, Restorer: p, Catalog: p}
		if cfg.EDR.Deploy.AWS.Enabled() {
			c := r.fleets[runbooks.AWS]
			c.SensorInstaller = p
			r.fleets[runbooks.AWS] = c
		}
		if cfg.Providers.AWS.Archive.Bucket != "" {
			r.archive = p
		}
	}
	for _, b := range []struct {
		cloud runbooks.Cloud
		build func(context.Context, *config.Config, wiring) (multi.Cloud, bool, error)
	}{{runbooks.GCP, gcpCloud}, {runbooks.Azure, azureCloud}} {
		c, ok, err := b.build(ctx, cfg, w)
		if err != nil {
			return r, err
		}
		if ok {
			r.fleets[b.cloud] = c
		}
	}
	return r, nil
}
