package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/runbooks"
)

// withApp loads the configuration at path, builds what w asks for and runs
// fn on it, closing the store after. Every command that acts on the store
// (cycle, rollback, freeze, sla, sensors, …) goes through it; with the
// embedded bbolt store the file is locked by a running `serve`, so those
// commands are for Redis deployments or a stopped bot.
func withApp(ctx context.Context, path string, w wiring, fn func(*app) error) error {
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	a, err := build(ctx, cfg, w)
	if err != nil {
		return err
	}
	defer a.store.Close()
	return fn(a)
}

// engineCommand is a command group whose subcommands act on the store
// through the engine: the group's required --config flag, and withEngine,
// which builds the engine for fn and closes it after (readOnly leaves Slack
// out, so reading needs no Slack token).
func engineCommand(use, short string) (*cobra.Command, func(ctx context.Context, readOnly bool, fn func(*runbooks.Engine) error) error) {
	var cfgPath string
	cmd := &cobra.Command{Use: use, Short: short}
	cmd.PersistentFlags().StringVarP(&cfgPath, "config", "c", "", "configuration file")
	_ = cmd.MarkPersistentFlagRequired("config")
	return cmd, func(ctx context.Context, readOnly bool, fn func(*runbooks.Engine) error) error {
		return withApp(ctx, cfgPath, wiring{readOnly: readOnly}, func(a *app) error { return fn(a.engine) })
	}
}
