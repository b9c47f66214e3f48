package main

import (
	"fmt"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/doctor"
	"github.com/patchgate/patchgate/providers/dynatrace"
	"github.com/patchgate/patchgate/providers/falcon"
	"github.com/patchgate/patchgate/providers/pagerduty"
	"github.com/patchgate/patchgate/runbooks"
)

// integrationPorts are the ports the configured outside services serve;
// each is nil when its service is not configured, and the simulation (kind
// sim) answers in its place.
type integrationPorts struct {
	Health  runbooks.Health
	Pager   runbooks.Pager
	Changes runbooks.Changes
	Sensors runbooks.Sensors
	// ChangeRecords is the change platform (change_records), nil when off.
	ChangeRecords runbooks.ChangeRecords
	// Prevention is Falcon when edr.prevention names tiers.
	Prevention runbooks.PreventionConsole
}

// integrations builds the health checks, pager and sensor checks of the
// real services the configuration names.
func integrations(cfg *config.Config, w wiring) (integrationPorts, error) {
	var p integrationPorts
	if cfg.Providers.Dynatrace.Enabled() {
		client, err := newDynatrace(cfg, w)
		if err != nil {
			return p, err
		}
		p.Health = client
	}
	if cfg.Providers.PagerDuty.Enabled() {
		client, err := newPagerDuty(cfg, w)
		if err != nil {
			return p, err
		}
		p.Pager, p.Changes = client, client
	}
	if cfg.Providers.Falcon.Enabled() {
		client, err := newFalcon(cfg, w)
		if err != nil {
			return p, err
		}
		p.Sensors = client
		if len(cfg.EDR.Prevention.Tiers) > 0 {
			p.Prevention = client
		}
	}
	cr, err := newChangeRecords(cfg, w)
	if err != nil {
		return p, err
	}
	if cr != nil {
		p.ChangeRecords = cr
	}
	return p, nil
}

// integrationChecks are the doctor's checks of the same clients; one that
// cannot be built becomes a failed row through failed.
func integrationChecks(cfg *config.Config, w wiring, failed func(name string, err error, fix string)) []doctor.Check {
	var checks []doctor.Check
	const fix = "set the secret or setting the error names"
	if cfg.Providers.Dynatrace.Enabled() {
		if c, err := newDynatrace(cfg, w); err != nil {
			failed("dynatrace", err, fix)
		} else {
			checks = append(checks, c.Checks()...)
		}
	}
	if cfg.Providers.PagerDuty.Enabled() {
		if c, err := newPagerDuty(cfg, w); err != nil {
			failed("pagerduty", err, fix)
		} else {
			checks = append(checks, c.Checks()...)
		}
	}
	if cfg.Providers.Falcon.Enabled() {
		if c, err := newFalcon(cfg, w); err != nil {
			failed("falcon", err, fix)
		} else {
			checks = append(checks, c.Checks()...)
		}
	}
	return append(checks, changeChecks(cfg, w, failed)...)
}

func newDynatrace(cfg *config.Config, w wiring) (*dynatrace.Client, error) {
	dt := cfg.Providers.Dynatrace
	token, err := dt.Token.Resolve(w.lookup)
	if err != nil {
		return nil, fmt.Errorf("providers.dynatrace.token: %w", err)
	}
	client, err := dynatrace.New(dynatrace.Config{BaseURL: dt.URL, Token: token, Selectors: dt.Selectors,
		StepTimeout: cfg.Engine.StepTimeout, Log: w.log})
	if err != nil {
		return nil, fmt.Errorf("providers.dynatrace: %w", err)
	}
	return client, nil
}

func newPagerDuty(cfg *config.Config, w wiring) (*pagerduty.Client, error) {
	pd := cfg.Providers.PagerDuty
	key, err := pd.RoutingKey.Resolve(w.lookup)
	if err != nil {
		return nil, fmt.Errorf("providers.pagerduty.routing_key: %w", err)
	}
	client, err := pagerduty.New(pagerduty.Config{RoutingKey: key, EventsURL: pd.EventsURL,
		StepTimeout: cfg.Engine.StepTimeout, Log: w.log})
	if err != nil {
		return nil, fmt.Errorf("providers.pagerduty: %w", err)
	}
	return client, nil
}

func newFalcon(cfg *config.Config, w wiring) (*falcon.Client, error) {
	f := cfg.Providers.Falcon
	id, err := f.ClientID.Resolve(w.lookup)
	if err != nil {
		return nil, fmt.Errorf("providers.falcon.client_id: %w", err)
	}
	secret, err := f.ClientSecret.Resolve(w.lookup)
	if err != nil {
		return nil, fmt.Errorf("providers.falcon.client_secret: %w", err)
	}
	overrides := make([]falcon.KernelOverride, len(f.Overrides))
	for i, o := range f.Overrides {
		overrides[i] = falcon.KernelOverride{OS: o.OS, Kernel: o.Kernel, Sensor: o.Sensor, Supported: o.Supported, Reason: o.Reason}
	}
	client, err := falcon.New(falcon.Config{ClientID: id, ClientSecret: secret, Cloud: f.Cloud, BaseURL: f.BaseURL,
		OnlineWindow: f.LastSeenWithin, Overrides: overrides, StepTimeout: cfg.Engine.StepTimeout, Log: w.log})
	if err != nil {
		return nil, fmt.Errorf("providers.falcon: %w", err)
	}
	return client, nil
}
