package main

import (
	"context"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/doctor"
	"github.com/patchgate/patchgate/runbooks"
)

// cloudChecks are the doctor's Azure and GCP checks, over the
// subscriptions and projects the tenants' targets name; a provider that
// cannot be built becomes a failed row through failed.
func cloudChecks(ctx context.Context, cfg *config.Config, w wiring, failed func(name string, err error, fix string)) []doctor.Check {
	var checks []doctor.Check
	if cfg.Providers.Azure.Enabled() {
		if p, err := newAzure(cfg, w); err != nil {
			failed("azure", err, "fix providers.azure as the error says")
		} else {
			var subs []string
			for _, t := range cloudTargets(cfg, runbooks.Azure) {
				subs = append(subs, t.Account)
			}
			checks = append(checks, p.Checks(subs)...)
		}
	}
	if cfg.Providers.GCP.Configured {
		if p, err := newGCP(ctx, cfg, w); err != nil {
			failed("gcp", err, "fix providers.gcp as the error says (credentials_file, endpoints)")
		} else {
			checks = append(checks, p.Checks(cloudTargets(cfg, runbooks.GCP))...)
		}
	}
	return checks
}

// cloudTargets are every tenant environment's targets in cloud.
func cloudTargets(cfg *config.Config, cloud runbooks.Cloud) []runbooks.Target {
	var out []runbooks.Target
	for _, t := range cfg.Tenants() {
		for _, e := range t.Environments {
			for _, tg := range e.Targets {
				if tg.Cloud == cloud {
					out = append(out, tg)
				}
			}
		}
	}
	return out
}
