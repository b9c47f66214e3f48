package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"golang.org/x/sync/errgroup"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/metrics"
)

// newLogger builds the process logger from the log section: JSON (one
// object per line, for a log pipeline) or text, at the configured level.
// The engine logs with cycle, tenant and stage keys, which become fields.
func newLogger(l config.Log, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.Level)); err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if l.Format == config.LogText {
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(w, opts)), nil
}

// observe serves /metrics, /healthz and /readyz on w.metricsListen (none
// when empty) until ctx ends. Ready means the store answers and, with
// Socket Mode, the Slack session is up. (The HTTP transport has no session
// to check: its listener being up is all there is.)
func observe(ctx context.Context, g *errgroup.Group, a *app, w wiring, log *slog.Logger) {
	if w.metricsListen == "" {
		return
	}
	checks := []metrics.Check{metrics.StoreCheck(a.store)}
	if a.slack != nil && a.slack.cfg.Transport == config.SlackSocket {
		checks = append(checks, metrics.ConnectedCheck("slack", a.slack.handler.Connected))
	}
	mux := a.metrics.Mux(log, checks...)
	g.Go(func() error { return metrics.Serve(ctx, w.metricsListen, mux, a.cfg.HTTP, w.metricsReady) })
}
