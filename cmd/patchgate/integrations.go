package main

import (
	"fmt"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/dynatrace"
	"github.com/patchgate/patchgate/providers/falcon"
	"github.com/patchgate/patchgate/providers/pagerduty"
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
	if pd := cfg.Providers.PagerDuty; pd.Enabled() {
		key, err := pd.RoutingKey.Resolve(lookup)
		if err != nil {
			return fmt.Errorf("providers.pagerduty.routing_key: %w", err)
		}
		client, err := pagerduty.New(pagerduty.Config{RoutingKey: key, EventsURL: pd.EventsURL, Log: w.log})
		if err != nil {
			return fmt.Errorf("providers.pagerduty: %w", err)
		}
		deps.Pager, deps.Changes = client, client
	}
	if f := cfg.Providers.Falcon; f.Enabled() {
		id, err := f.ClientID.Resolve(lookup)
		if err != nil {
			return fmt.Errorf("providers.falcon.client_id: %w", err)
		}
		secret, err := f.ClientSecret.Resolve(lookup)
		if err != nil {
			return fmt.Errorf("providers.falcon.client_secret: %w", err)
		}
		overrides := make([]falcon.KernelOverride, len(f.Overrides))
		for i, o := range f.Overrides {
			overrides[i] = falcon.KernelOverride{OS: o.OS, Kernel: o.Kernel, Sensor: o.Sensor, Supported: o.Supported, Reason: o.Reason}
		}
		client, err := falcon.New(falcon.Config{ClientID: id, ClientSecret: secret, Cloud: f.Cloud,
			OnlineWindow: f.LastSeenWithin, Overrides: overrides, Log: w.log})
		if err != nil {
			return fmt.Errorf("providers.falcon: %w", err)
		}
		deps.Sensors = client
	}
	return nil
}
