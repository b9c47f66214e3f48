package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/config"
	awsprovider "github.com/patchgate/patchgate/providers/aws"
	"github.com/patchgate/patchgate/providers/terraform"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/daily"
	"github.com/patchgate/patchgate/runbooks/drift"
	"github.com/patchgate/patchgate/runbooks/saml"
	"github.com/patchgate/patchgate/state"
)

// dailyWiring lets the demo and tests adjust the daily checks.
type dailyWiring struct {
	// terraformEnv is added to every terraform run (the demo points
	// TF_CLI_CONFIG_FILE at an empty file so it runs offline).
	terraformEnv map[string]string
}

// samlSources builds the saml section's sources: metadata URLs and files,
// and (kind aws-iam without url or file) the IAM SAML identity providers
// read through providers.aws. `patchgate saml check` and the bot's check
// both build their sources here, so they read the same certificates. iam
// returns the AWS provider; it is called only when such a source exists.
func samlSources(cfg *config.Config, iam func() (*awsprovider.Provider, error)) ([]saml.Source, error) {
	var out []saml.Source
	limits := saml.Limits{Timeout: cfg.SAML.FetchTimeout}
	for _, s := range cfg.SAML.Sources {
		kind := saml.ProviderKind(s.Kind)
		switch {
		case s.IAM():
			p, err := iam()
			if err != nil {
				return nil, fmt.Errorf("saml source %s: %w", s.Name, err)
			}
			out = append(out, awsprovider.IAMSAMLSource{Provider: p, SourceName: s.Name, Accounts: s.Accounts, Integration: s.Integration})
		case s.URL != "":
			out = append(out, saml.URLSource{SourceName: s.Name, Kind: kind, Integration: s.Integration, URL: s.URL, Limits: limits})
		default:
			out = append(out, saml.FileSource{SourceName: s.Name, Kind: kind, Integration: s.Integration, Path: s.File, Limits: limits})
		}
	}
	return out, nil
}

func samlThresholds(cfg config.SAML) saml.Thresholds {
	const day = 24 * time.Hour
	return saml.Thresholds{Warn: time.Duration(cfg.WarnDays) * day, Page: time.Duration(cfg.PageDays) * day}
}

// driftChecker runs terraform for the configured workspaces.
func driftChecker(cfg config.Drift, env map[string]string, log *slog.Logger) terraform.DriftChecker {
	return terraform.DriftChecker{Checker: terraform.New(terraform.Options{
		TerraformPath: cfg.TerraformPath, Concurrency: cfg.Concurrency, Timeout: cfg.Timeout,
		IncludeChanges: cfg.IncludePlannedChanges, Env: env, Log: log,
	})}
}

// driftApprovers are the drift section's approvers, or else the production
// tier's: ratifying a console change to production infrastructure is a
// production decision.
func driftApprovers(cfg *config.Config) (users, groups []string) {
	if len(cfg.Drift.Approvers)+len(cfg.Drift.Groups) > 0 {
		return cfg.Drift.Approvers, cfg.Drift.Groups
	}
	for _, t := range cfg.Tiers {
		if t.Production {
			return t.Approvers, t.Groups
		}
	}
	return nil, nil
}

// newDailyChecks builds the daily checks (SAML check, drift report, status
// and posture digests) over the Slack channel. It returns nil without
// Slack: the checks post to the channel, so without one they run only from
// the CLI.
func newDailyChecks(cfg *config.Config, st state.Store, a *app, pager runbooks.Pager, dir runbooks.Directory, clock runbooks.Clock, hw dailyWiring, log *slog.Logger) (*daily.Service, error) {
	if a.slack == nil {
		return nil, nil
	}
	chat := bot.NewDailyChat(a.slack.api, cfg.Slack.Channel, log)
	chat.Tenants = bot.TenantNames(cfg.Tenants())
	svc := &daily.Service{Active: a.engine.Active, Chat: chat, Clock: clock, Freezes: a.engine.FreezeLines,
		Posture: func(ctx context.Context, now time.Time) (daily.Posture, error) {
			return reports.PostureDigest(ctx, st, now)
		}}
	sources, err := samlSources(cfg, func() (*awsprovider.Provider, error) {
		if a.aws == nil {
			return nil, errors.New("providers.aws is not configured")
		}
		return a.aws, nil
	})
	if err != nil {
		return nil, err
	}
	if len(sources) > 0 {
		svc.SAML = &saml.Runbook{Store: st, Chat: chat, Pager: pager, Sources: sources,
			Thresholds: samlThresholds(cfg.SAML), Clock: clock, Log: log}
	}
	if len(cfg.Drift.Workspaces) > 0 {
		users, groups := driftApprovers(cfg)
		svc.Drift = &drift.Report{Store: st, Chat: chat, Checker: driftChecker(cfg.Drift, hw.terraformEnv, log),
			Workspaces: cfg.Drift.Workspaces, Clock: clock, Approvers: users, Groups: groups, Directory: dir, Log: log}
	}
	return svc, nil
}

// dailySchedules names the schedule field of each daily check's job.
var dailySchedules = map[string]func(config.Schedules) (field, expr string){
	"saml-check":     func(s config.Schedules) (string, string) { return "schedules.saml_check", s.SAMLCheck },
	"drift-report":   func(s config.Schedules) (string, string) { return "schedules.drift_report", s.DriftReport },
	"status-digest":  func(s config.Schedules) (string, string) { return "schedules.status_digest", s.StatusDigest },
	"posture-digest": func(s config.Schedules) (string, string) { return "schedules.posture_digest", s.PostureDigest },
}

// dailyJobs are the scheduled daily checks: each configured schedule runs
// the same service method the slash command does (daily.Service.Jobs).
func dailyJobs(cfg *config.Config, svc *daily.Service) []namedJob {
	if svc == nil {
		return nil
	}
	var jobs []namedJob
	for _, j := range svc.Jobs() {
		field, expr := dailySchedules[j.Name](cfg.Schedules)
		run := j.Run
		jobs = append(jobs, namedJob{j.Name, field, expr, func(ctx context.Context, _ time.Time) error { return run(ctx) }})
	}
	return jobs
}
