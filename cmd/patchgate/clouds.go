package main

import (
	"context"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/multi"
	"github.com/patchgate/patchgate/runbooks"
)

// cloudBuilder builds one real cloud's provider from its config section;
// ok is false when the section is absent. A builder may also fill optional
// ports it serves (the access report, the evidence archive).
type cloudBuilder struct {
	cloud runbooks.Cloud
	build func(ctx context.Context, cfg *config.Config, w wiring, deps *runbooks.Deps) (multi.Cloud, bool, error)
}

// cloudBuilders are the real cloud providers, in the order they are built.
var cloudBuilders = []cloudBuilder{
	{runbooks.GCP, func(ctx context.Context, cfg *config.Config, w wiring, _ *runbooks.Deps) (multi.Cloud, bool, error) {
		return gcpCloud(ctx, cfg, w)
	}},
	{runbooks.Azure, func(ctx context.Context, cfg *config.Config, w wiring, _ *runbooks.Deps) (multi.Cloud, bool, error) {
		return azureCloud(ctx, cfg, w)
	}},
}
