package main

import (
	"context"

	"github.com/patchgate/patchgate/config"
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
