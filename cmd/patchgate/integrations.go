package main

import (
	"fmt"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/dynatrace"
	"github.com/patchgate/patchgate/runbooks"
)

// integrations replaces the simulation's health checks, pager and sensor
// checks with the real services the configuration names.
func integrations(cfg *config.Config, w wiring, deps *runbooks.Deps) error {
	lookup := w.lookup
	if dt := cfg.Providers.Dynatrace; dt.Enabled() {
		token, err := dt.Token.Resolve(lookup)
		if err != nil {
			return fmt.Errorf("providers.dynatrace.token: %w", err)
		}
		client, err := dynatrace.New(dynatrace.Config{BaseURL: dt.URL, Token: token, Selectors: dt.Selectors, Log: w.log})
		if err != nil {
			return fmt.Errorf("providers.dynatrace: %w", err)
		}
		deps.Health = client
	}
	return nil
}
