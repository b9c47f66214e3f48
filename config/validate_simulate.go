package config

import (
	"fmt"
	"slices"
	"strings"
)

// simulable are the values providers.simulate accepts.
var simulable = []string{SimulateSensors, SimulateHealth, SimulatePager, SimulateAccess}

// checkSimulate refuses a kind sim configuration in which the simulation
// would answer for the hosts of a real cloud section (a sensor gate passed
// by a simulated Falcon, a health gate by a simulated Dynatrace) unless the
// file opts in to each such part in providers.simulate. A simulated answer
// about a real host is evidence of nothing, so it must be chosen, never
// fallen into; reports that rest on one are marked SIMULATED.
func (d *decoder) checkSimulate(c *Config) {
	p := c.Providers
	for i, g := range p.Simulate {
		if !slices.Contains(simulable, g) {
			d.at(index("providers.simulate", i), "%q is not a part the simulation can answer%s", g, want(g, simulable...))
		}
	}
	if p.Kind == ProviderCloud && len(p.Simulate) > 0 {
		d.at("providers.simulate", "kind cloud simulates nothing; remove providers.simulate, or use kind sim to let the simulation answer %s", strings.Join(p.Simulate, ", "))
		return
	}
	if p.Kind != ProviderSim {
		return
	}
	var real []string
	if p.AWS.Enabled() {
		real = append(real, "aws")
	}
	if p.Azure.Enabled() {
		real = append(real, "azure")
	}
	if p.GCP.Configured {
		real = append(real, "gcp")
	}
	if len(real) == 0 {
		return // everything is simulated, and every report says so
	}
	var sensorTiers, healthTiers []string
	for _, t := range c.Tiers {
		if t.SensorGate {
			sensorTiers = append(sensorTiers, t.Env)
		}
		if t.HealthGate {
			healthTiers = append(healthTiers, t.Env)
		}
	}
	var missing, opts []string
	for _, part := range []struct {
		name, what, service string
		used, served        bool
	}{
		{SimulateSensors, "the sensor gate of " + strings.Join(sensorTiers, ", "), "providers.falcon", len(sensorTiers) > 0, p.Falcon.Enabled()},
		{SimulateHealth, "the health gate of " + strings.Join(healthTiers, ", "), "providers.dynatrace", len(healthTiers) > 0, p.Dynatrace.Enabled()},
		{SimulatePager, "the incidents of failed stages", "providers.pagerduty", true, p.PagerDuty.Enabled()},
		{SimulateAccess, "the access report (SOC 2 CC6.1)", "providers.aws", true, p.AWS.Enabled()},
	} {
		opted := slices.Contains(p.Simulate, part.name)
		switch {
		case part.used && !part.served && !opted:
			missing = append(missing, fmt.Sprintf("%s (configure %s)", part.what, part.service))
			opts = append(opts, part.name)
		case opted && part.served:
			d.at("providers.simulate", "lists %s, but %s is configured and answers it; remove %s from the list", part.name, part.service, part.name)
		}
	}
	if len(missing) > 0 {
		// Reported at the real cloud's section: that is what makes the
		// simulation's answers a claim about real hosts.
		d.add(d.pos["providers."+real[0]], "providers.simulate",
			"with kind sim the simulation would answer for the hosts of providers.%s, which it has never seen: %s; configure those, or opt in with `providers.simulate: [%s]` (simulated answers are not audit evidence: reports that use them say SIMULATED on every page)",
			strings.Join(real, ", providers."), strings.Join(missing, "; "), strings.Join(append(append([]string(nil), p.Simulate...), opts...), ", "))
	}
}
