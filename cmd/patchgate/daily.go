package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/terraform"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/drift"
	"github.com/patchgate/patchgate/runbooks/saml"
	"github.com/patchgate/patchgate/state"
)

// hygieneWiring lets the demo and tests adjust the daily-hygiene runbooks.
type hygieneWiring struct {
	// terraformEnv is added to every terraform run (the demo points
	// TF_CLI_CONFIG_FILE at an empty file so it runs offline).
	terraformEnv map[string]string
}

// samlSources builds the configured metadata sources. Cloud sources (the
// AWS provider's IAM SAML providers) are appended by their provider's
// wiring; they implement saml.Source the same way.
func samlSources(cfg config.SAML) []saml.Source {
	var out []saml.Source
	limits := saml.Limits{Timeout: cfg.FetchTimeout}
	for _, s := range cfg.Sources {
		kind := saml.ProviderKind(s.Kind)
		if s.URL != "" {
			out = append(out, saml.URLSource{SourceName: s.Name, Kind: kind, Integration: s.Integration, URL: s.URL, Limits: limits})
		} else {
			out = append(out, saml.FileSource{SourceName: s.Name, Kind: kind, Integration: s.Integration, Path: s.File, Limits: limits})
		}
	}
	return out
}

func samlThresholds(cfg config.SAML) saml.Thresholds {
	const day = 24 * time.Hour
	return saml.Thresholds{Warn: time.Duration(cfg.WarnDays) * day, Page: time.Duration(cfg.PageDays) * day}
}

// driftChecker runs terraform for the configured workspaces.
func driftChecker(cfg config.Drift, env map[string]string, log *slog.Logger) drift.Checker {
	return terraform.DriftChecker{Checker: terraform.New(terraform.Options{
		TerraformPath: cfg.TerraformPath, Concurrency: cfg.Concurrency, Timeout: cfg.Timeout,
		IncludeChanges: cfg.IncludePlannedChanges, Env: env, Log: log,
	})}
}

// driftApprovers are the drift section's approvers, or else the last
// pipeline tier's (production's): ratifying a console change to production
// infrastructure is a production decision.
func driftApprovers(cfg *config.Config) (users, groups []string) {
	if len(cfg.Drift.Approvers)+len(cfg.Drift.Groups) > 0 || len(cfg.Tiers) == 0 {
		return cfg.Drift.Approvers, cfg.Drift.Groups
	}
	last := cfg.Tiers[len(cfg.Tiers)-1]
	return last.Approvers, last.Groups
}

// newHygiene builds the SAML runbook, the drift report and the status
// digest over the Slack channel. It returns nil without Slack: the runbooks
// post to the channel, so without one they run only from the CLI.
func newHygiene(cfg *config.Config, st state.Store, a *app, pager runbooks.Pager, dir runbooks.Directory, clock runbooks.Clock, hw hygieneWiring, log *slog.Logger) *bot.HygieneService {
	if a.slack == nil {
		return nil
	}
	chat := bot.NewHygieneChat(a.slack.api, cfg.Slack.Channel, log)
	svc := &bot.HygieneService{Active: a.engine.Active, Chat: chat, Clock: clock,
		Names: bot.TenantNames(cfg.Tenants()),
		Posture: func(ctx context.Context, now time.Time) (reports.Posture, error) {
			return reports.PostureDigest(ctx, st, now)
		}}
	if sources := append(samlSources(cfg.SAML), a.samlSources...); len(sources) > 0 {
		svc.SAML = &saml.Runbook{Store: st, Chat: chat, Pager: pager, Sources: sources,
			Thresholds: samlThresholds(cfg.SAML), Clock: clock, Log: log}
	}
	if len(cfg.Drift.Workspaces) > 0 {
		users, groups := driftApprovers(cfg)
		svc.Drift = &drift.Report{Store: st, Chat: chat, Checker: driftChecker(cfg.Drift, hw.terraformEnv, log),
			Workspaces: cfg.Drift.Workspaces, Clock: clock, Approvers: users, Groups: groups, Directory: dir, Log: log}
	}
	return svc
}

// hygieneJobs are the scheduled daily-hygiene jobs: each configured
// schedule runs the same service method the slash command does. Another
// digest (e.g. the compliance posture digest) joins with one more line.
func hygieneJobs(cfg *config.Config, svc *bot.HygieneService) []namedJob {
	if svc == nil {
		return nil
	}
	run := func(f func(context.Context) (string, error)) func(context.Context, time.Time) error {
		return func(ctx context.Context, _ time.Time) error { _, err := f(ctx); return err }
	}
	var jobs []namedJob
	if svc.SAML != nil {
		jobs = append(jobs, namedJob{"saml-check", "schedules.saml_check", cfg.Schedules.SAMLCheck, run(svc.SAMLCheck)})
	}
	if svc.Drift != nil {
		jobs = append(jobs, namedJob{"drift-report", "schedules.drift_report", cfg.Schedules.DriftReport, run(svc.DriftReport)})
	}
	jobs = append(jobs, namedJob{"status-digest", "schedules.status_digest", cfg.Schedules.StatusDigest, run(svc.StatusDigest)})
	jobs = append(jobs, namedJob{"posture-digest", "schedules.posture_digest", cfg.Schedules.PostureDigest, run(svc.PostureDigest)})
	return jobs
}
