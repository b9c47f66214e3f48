package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/config"
	slackmanifest "github.com/patchgate/patchgate/deploy/slack"
	"github.com/patchgate/patchgate/doctor"
	"github.com/patchgate/patchgate/metrics"
	awsprovider "github.com/patchgate/patchgate/providers/aws"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

func newDoctorCmd() *cobra.Command {
	var cfgPath string
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check every configured integration, live and read-only; exit 1 if any check fails",
		Long: "doctor reaches every integration the configuration names with read-only calls (the store, Slack, " +
			"each AWS account and region, Azure subscriptions, GCP projects, Falcon, PagerDuty, Dynatrace, terraform) " +
			"and prints one row per check with what to fix. It sends no page, posts no message and patches nothing.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDoctor(cmd.Context(), cfgPath, wiring{}, cmd)
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

// runDoctor loads the file, collects every integration's checks, runs them
// and prints the checklist; any failure is a finding (exit 1).
func runDoctor(ctx context.Context, path string, w wiring, cmd *cobra.Command) error {
	out := cmd.OutOrStdout()
	if w.log == nil {
		// Provider logs (retries) would interleave with the checklist.
		w.log = slog.New(slog.DiscardHandler)
	}
	cfg, err := config.Load(path)
	if err != nil {
		doctor.Print(out, []doctor.Result{{Name: "config " + path, Detail: err.Error(), Err: err,
			Fix: "run `patchgate config validate " + path + "` and fix each line it names"}})
		return &findingError{msg: "doctor: configuration does not load"}
	}
	checks, closeAll := doctorChecks(ctx, cfg, w)
	defer closeAll()
	if doctor.Print(out, doctor.Run(ctx, checks)) > 0 {
		return &findingError{msg: "doctor: some checks failed"}
	}
	return nil
}

// doctorChecks lists the checks of every configured integration. A part
// that cannot even be built (a secret not set, a bad setting) becomes one
// failed row naming its config key instead of stopping the checklist.
func doctorChecks(ctx context.Context, cfg *config.Config, w wiring) ([]doctor.Check, func()) {
	var checks []doctor.Check
	var closers []func()
	failed := func(name string, err error, fix string) {
		checks = append(checks, doctor.Check{Name: name, Run: func(context.Context) (string, error) {
			return "", doctor.Fix(err, fix)
		}})
	}
	st, err := openStoreTimeout(ctx, cfg)
	if err != nil {
		failed("store "+cfg.Store.Backend, err, storeFix(cfg))
	} else {
		closers = append(closers, func() { st.Close() })
		checks = append(checks, storeCheck(cfg, st))
	}
	if cfg.Slack.Enabled() {
		rec := &bot.ScopeRecorder{}
		w.slackTransport = rec
		parts, err := newSlack(cfg, w, metrics.New())
		required, merr := slackmanifest.BotScopes()
		switch {
		case err != nil:
			failed("slack", err, "set the secret the error names (see docs/OPERATIONS.md, Slack app)")
		case merr != nil:
			failed("slack manifest", merr, "rebuild patchgate")
		default:
			checks = append(checks, bot.DoctorChecks(parts.api, bot.DoctorOptions{
				Channel: cfg.Slack.Channel, Groups: slackGroups(cfg), Required: required, Scopes: rec})...)
		}
	}
	if cfg.Providers.AWS.Enabled() {
		pc := awsConfig(cfg)
		pc.Clock, pc.Log = w.clock, w.log
		if p, err := awsprovider.New(ctx, pc); err != nil {
			failed("aws", fmt.Errorf("providers.aws: %w", err), "fix providers.aws as the error says")
		} else {
			checks = append(checks, p.Checks()...)
		}
	}
	checks = append(checks, cloudChecks(ctx, cfg, w, failed)...)
	checks = append(checks, integrationChecks(cfg, w, failed)...)
	if len(cfg.Drift.Workspaces) > 0 {
		checks = append(checks, driftChecker(cfg.Drift, nil, w.log).Checks(cfg.Drift.Workspaces)...)
	}
	return checks, func() {
		for _, c := range closers {
			c()
		}
	}
}

// openStoreTimeout opens the store without hanging on an unreachable
// Redis or a bbolt file a running serve holds locked.
func openStoreTimeout(ctx context.Context, cfg *config.Config) (state.Store, error) {
	ctx, cancel := context.WithTimeout(ctx, doctor.DefaultTimeout)
	defer cancel()
	type opened struct {
		st  state.Store
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		st, err := openStore(ctx, cfg)
		ch <- opened{st, err}
	}()
	select {
	case o := <-ch:
		return o.st, o.err
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.st != nil {
				o.st.Close()
			}
		}()
		return nil, fmt.Errorf("open the %s store: no answer within %s", cfg.Store.Backend, runbooks.ForPeople(doctor.DefaultTimeout))
	}
}

func storeFix(cfg *config.Config) string {
	if cfg.Store.Backend == config.BackendRedis {
		return "check store.redis addr, password and TLS, and that Redis is up"
	}
	return "check store.bolt.path is writable; a running `patchgate serve` holds the file locked (stop it, or run doctor where serve runs with Redis)"
}

// storeCheck writes, reads back and deletes one record: reachable and
// writable, with the round trip's latency.
func storeCheck(cfg *config.Config, st state.Store) doctor.Check {
	return doctor.Check{Name: "store " + cfg.Store.Backend, Run: func(ctx context.Context) (string, error) {
		key := fmt.Sprintf("doctor/probe-%d-%d", os.Getpid(), time.Now().UnixNano())
		start := time.Now()
		rec, err := st.Create(ctx, key, []byte("patchgate doctor"))
		if err != nil {
			return "", doctor.Fix(fmt.Errorf("write %s: %w", key, err), storeFix(cfg))
		}
		if _, err := st.Get(ctx, key); err != nil {
			return "", doctor.Fix(fmt.Errorf("read back %s: %w", key, err), storeFix(cfg))
		}
		if err := st.Delete(ctx, key, rec.Version); err != nil {
			return "", doctor.Fix(fmt.Errorf("delete %s: %w", key, err), storeFix(cfg))
		}
		return fmt.Sprintf("write, read and delete in %s", runbooks.ForPeople(time.Since(start))), nil
	}}
}

// slackGroups are the user groups the pipeline and drift approvals name.
func slackGroups(cfg *config.Config) []string {
	var gs []string
	for _, t := range cfg.Tiers {
		gs = append(gs, t.Groups...)
	}
	gs = append(gs, cfg.Engine.RequesterGroups...)
	gs = append(gs, cfg.Drift.Groups...)
	slices.Sort(gs)
	return slices.Compact(gs)
}
