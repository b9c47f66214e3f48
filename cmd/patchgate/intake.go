package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/internal/httpserve"
	"github.com/patchgate/patchgate/providers/aws/events"
)

// sqsLongPoll is the wait of one ReceiveMessage, SQS's longest.
const sqsLongPoll = 20 * time.Second

// intakeTags is where triage reads instance tags: EC2 through providers.aws,
// or the simulated fleet's AWS hosts when AWS is simulated (kind sim).
func intakeTags(a *app) (events.Tagger, error) {
	switch {
	case a.aws != nil:
		return a.aws, nil
	case a.fleet != nil:
		return a.fleet, nil
	}
	return nil, errors.New("remediation: triage reads instance tags from EC2; configure providers.aws")
}

// runIntake starts the remediation intake the remediation section asks
// for: the SQS poller (on every replica: SQS hands a message to one reader
// at a time and the engine's claims on the event id record it once) and
// the signed HTTP intake. Without the section it does nothing.
func runIntake(ctx context.Context, g *errgroup.Group, cfg *config.Config, a *app, w wiring, log *slog.Logger) error {
	r := cfg.Remediation
	if !r.Enabled() {
		return nil
	}
	var sink events.Sink = a.engine
	tags, err := intakeTags(a)
	if err != nil {
		return err
	}
	ec := cfg.EngineConfig()
	in := events.NewIntake(sink, events.NewTriage(cfg.Tenants(), tags, w.clock), r.Rules, log.With("component", "intake"))
	if r.QueueURL != "" {
		p, err := events.NewPoller(a.aws.SQS(sqsLongPoll), in, events.PollerConfig{QueueURL: r.QueueURL, Wait: sqsLongPoll,
			Workers: r.Workers, StepTimeout: ec.StepTimeout}, log.With("component", "intake"))
		if err != nil {
			return fmt.Errorf("remediation: %w", err)
		}
		g.Go(func() error { return p.Run(ctx) })
	}
	if r.HTTPListen == "" {
		return nil
	}
	secret, err := r.HTTPSecret.Resolve(w.lookup)
	if err != nil {
		return fmt.Errorf("remediation.http_secret: %w", err)
	}
	l, err := net.Listen("tcp", r.HTTPListen)
	if err != nil {
		return fmt.Errorf("remediation http intake listen on %s: %w", r.HTTPListen, err)
	}
	if w.intakeReady != nil {
		w.intakeReady(l.Addr())
	}
	srv := httpserve.New(r.HTTPListen, bot.IntakeHandler(in, bot.IntakeOptions{Secret: []byte(secret),
		StepTimeout: ec.StepTimeout, Clock: w.clock, Log: log.With("component", "intake")}), cfg.HTTP)
	g.Go(func() error {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("remediation http intake on %s: %w", r.HTTPListen, err)
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	return nil
}
