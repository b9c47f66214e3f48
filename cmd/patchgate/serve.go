package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/runbooks"
)

// shutdownGrace bounds how long serve waits, once its context ends, for
// the components to stop before it closes the store under them. A running
// step may use its whole step_timeout, then the engine's record timeout to
// write its outcome; the Slack messages that outcome causes are posted
// after the engine stopped, within the notifier's drain; shutdownMargin
// covers the rest stopping meanwhile.
func shutdownGrace(ec runbooks.Config) time.Duration {
	return ec.StepTimeout + ec.RecordTimeout + notifierDrain + shutdownMargin
}

// notifierDrain is how long the notifier goes on posting once the engine
// stopped; shutdownMargin is the grace beyond the last step's budget.
const (
	notifierDrain  = 5 * time.Second
	shutdownMargin = 5 * time.Second
)

func newServeCmd() *cobra.Command {
	var cfgPath, reportDir, metricsListen string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the engine (and, once configured, the Slack bot)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cfgPath)
			if err != nil {
				return err
			}
			log, err := newLogger(cfg.Log, os.Stderr)
			if err != nil {
				return err
			}
			routeRedisLog(log)
			if !cmd.Flags().Changed("metrics-listen") {
				metricsListen = cfg.Observability.Listen
			}
			return serve(cmd.Context(), cfg, wiring{log: log, reports: reportDir, metricsListen: metricsListen})
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file")
	cmd.Flags().StringVar(&reportDir, "reports", "patchgate-reports", "directory the evidence bundles are written to")
	cmd.Flags().StringVar(&metricsListen, "metrics-listen", "", "address for /metrics, /healthz and /readyz (default: observability.listen, :9090; \"\" turns it off)")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

// serve runs every component until ctx ends, then drains: components stop
// taking work, running steps finish (bounded by shutdownGrace), the
// notifier posts what they caused, and the
// store closes last.
func serve(ctx context.Context, cfg *config.Config, w wiring) error {
	if w.log == nil {
		w.log = slog.Default()
	}
	a, err := build(ctx, cfg, w)
	if err != nil {
		return err
	}
	log := w.log
	if w.ready != nil {
		w.ready(a)
	}
	log.Info("patchgate serving", "replica", a.engine.Replica(), "store", cfg.Store.Backend,
		"tenants", len(cfg.TenantList))
	g, gctx := errgroup.WithContext(ctx)
	// The notifier stops after the engine, so the outcome of a step that
	// finishes during shutdown still reaches Slack.
	chatCtx, stopChat := context.WithCancel(context.WithoutCancel(gctx))
	defer stopChat()
	g.Go(func() error {
		defer stopChat()
		return a.engine.Run(gctx)
	})
	if a.daily == nil {
		// The daily checks post to Slack; without it they cannot run, and
		// an operator who scheduled them must hear so rather than wonder.
		for field, expr := range map[string]string{"schedules.saml_check": cfg.Schedules.SAMLCheck,
			"schedules.drift_report": cfg.Schedules.DriftReport, "schedules.status_digest": cfg.Schedules.StatusDigest,
			"schedules.posture_digest": cfg.Schedules.PostureDigest} {
			if expr != "" {
				log.Warn("scheduled job not run: it posts to Slack and no slack section is configured; use the CLI instead", "field", field)
			}
		}
	}
	sched, err := scheduler(cfg, a.store, a.engine, w.clock, log, append(append(append(dailyJobs(cfg, a.daily), slaJobs(cfg, a.sla)...), retentionJobs(cfg, a, log)...), edrJobs(cfg, a.edr)...)...)
	if err != nil {
		closeStore(context.WithoutCancel(ctx), a)
		return err
	}
	g.Go(func() error { return sched.Run(gctx) })
	observe(gctx, g, a, w, log)
	if err := runIntake(gctx, g, cfg, a, w, log); err != nil {
		g.Go(func() error { return err }) // stops the rest through gctx
	}
	if a.slack != nil {
		if err := a.slack.run(gctx, chatCtx, g, cfg.HTTP, w.slackReady); err != nil {
			g.Go(func() error { return err }) // stops the rest through gctx
		}
	} else {
		log.Warn("no slack section: running the engine only; decide with `patchgate cycle decide`")
	}
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	var runErr error
	select {
	case runErr = <-done:
	case <-ctx.Done():
		grace := shutdownGrace(cfg.EngineConfig())
		log.Info("shutting down: draining running steps", "grace", grace.String())
		select {
		case runErr = <-done:
		case <-time.After(grace):
			runErr = errors.New("shutdown: steps still running after the grace period")
		}
	}
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return errors.Join(runErr, closeStore(closeCtx, a))
}

// closeStore closes the store, giving up after ctx ends.
func closeStore(ctx context.Context, a *app) error {
	done := make(chan error, 1)
	go func() { done <- a.store.Close() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return errors.New("store did not close in time")
	}
}
