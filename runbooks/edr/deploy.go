package edr

import (
	"context"
	"fmt"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.SensorFleet = (*Service)(nil)

// SensorTargets is coverage as the sensor deployment runbook reads it: the
// hosts of tenant's environment without a current sensor, each with the
// action that fixes it (install a missing sensor, upgrade an outdated one
// or one in reduced-functionality mode).
func (s *Service) SensorTargets(ctx context.Context, t runbooks.Tenant, env runbooks.Environment) ([]runbooks.SensorTarget, error) {
	if s.Fleet == nil {
		return nil, ErrNoFleet
	}
	r := s.read(ctx, t, env)
	if r.err != nil {
		return nil, r.err
	}
	c := Evaluate(t.Name, r.tier, r.hosts, r.sensors, r.source)
	byID := make(map[string]runbooks.Host, len(r.hosts))
	for _, h := range r.hosts {
		byID[h.ID] = h
	}
	out := make([]runbooks.SensorTarget, 0, len(c.Gaps))
	for _, g := range c.Gaps {
		action := runbooks.SensorUpgrade
		if g.Kind == GapMissing {
			action = runbooks.SensorInstall
		}
		out = append(out, runbooks.SensorTarget{Host: byID[g.HostID], Action: action,
			Why: fmt.Sprintf("%s (source: %s)", g.Reason, r.source)})
	}
	return out, nil
}

// ValidateSensors checks deployed hosts against their environment's
// expectations (registered, matched by instance ID, host group, policies,
// minimum version, not in RFM) and names the systems it read.
func (s *Service) ValidateSensors(ctx context.Context, tenant, env string, hosts []runbooks.Host) ([]runbooks.SensorCheck, []string, error) {
	if s.Fleet == nil {
		return nil, nil, ErrNoFleet
	}
	tier := s.Tiers[env]
	tier.Env = env
	source := runbooks.SourceOf(s.Fleet)
	var sensors map[string]Sensor
	var err error
	s.bounded(ctx, func(ctx context.Context) { sensors, err = s.Fleet.SensorsOf(ctx, hosts) })
	if err != nil {
		return nil, nil, fmt.Errorf("read sensors of %d hosts of %s/%s from %s: %w", len(hosts), tenant, env, source, err)
	}
	v := Validate(tenant, tier, hosts, sensors, source)
	out := make([]runbooks.SensorCheck, len(v.Failures))
	for i, f := range v.Failures {
		out[i] = runbooks.SensorCheck{HostID: f.HostID, HostName: f.HostName, Check: f.Check, Got: f.Got, Want: f.Want, Fix: f.Fix}
	}
	return out, v.Sources, nil
}
