package config

import (
	"math"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// sdkAttempts is how many attempts each integration's SDK makes for one
// call; each provider derives its retry settings from
// runbooks.StepBudget(engine.step_timeout, these attempts).
// TestBudgetAttemptsMatchProviders (cmd/patchgate) keeps this table equal
// to the providers' own defaults.
var sdkAttempts = []struct {
	section  string
	attempts int
	enabled  func(*Config) bool
}{
	{"providers.aws", 10, func(c *Config) bool { return c.Providers.AWS.Enabled() }},
	{"providers.azure", runbooks.DefaultAttempts, func(c *Config) bool { return c.Providers.Azure.Enabled() }},
	{"providers.gcp", 4, func(c *Config) bool { return c.Providers.GCP.Configured }},
	{"providers.falcon", 5, func(c *Config) bool { return c.Providers.Falcon.Enabled() }},
	{"providers.pagerduty", 5, func(c *Config) bool { return c.Providers.PagerDuty.Enabled() }},
	{"providers.dynatrace", 4, func(c *Config) bool { return c.Providers.Dynatrace.Enabled() }},
}

// SDKAttempts is the attempts the table above gives section's SDK (0 when
// the section is not in it).
func SDKAttempts(section string) int {
	for _, s := range sdkAttempts {
		if s.section == section {
			return s.attempts
		}
	}
	return 0
}

// minAttempt is the least time one attempt needs to connect (through a
// proxy or a private endpoint), shake hands over TLS and be answered; a
// budget that gives less fails every call of a healthy but distant API.
const minAttempt = time.Second

// followStep gives engine.record_timeout, when the file leaves it out, a
// default that fits the step: runbooks.DefaultRecordTimeout, or a third of
// a shorter step_timeout.
func (d *decoder) followStep(c *Config) {
	if !d.set("engine.record_timeout") && c.Engine.StepTimeout > 0 {
		c.Engine.RecordTimeout = min(runbooks.DefaultRecordTimeout, c.Engine.StepTimeout/3)
	}
}

// checkBudgets refuses time settings that cannot fit together: each
// configured SDK's attempts with the waits between them inside
// engine.step_timeout with at least minAttempt each, the write that records
// a step's outcome shorter than the step, step and record together inside
// the lease, and an Azure assessment given longer than one step and one
// poll.
func (d *decoder) checkBudgets(c *Config) {
	e := c.Engine
	d.positive("engine.record_timeout", e.RecordTimeout)
	if e.StepTimeout <= 0 || e.RecordTimeout <= 0 {
		return // reported as not positive
	}
	for _, s := range sdkAttempts {
		if !s.enabled(c) {
			continue
		}
		b := runbooks.StepBudget(e.StepTimeout, s.attempts)
		if err := b.Check(); err != nil {
			d.at("engine.step_timeout", "%v does not fit the %d attempts of %s: %v", e.StepTimeout, s.attempts, s.section, err)
			continue
		}
		if b.PerAttempt < minAttempt {
			d.at("engine.step_timeout", "%v gives each of the %d attempts of %s only %v (with %v between them), under the %v an attempt needs to connect and be answered; raise it to at least %v",
				e.StepTimeout, s.attempts, s.section, b.PerAttempt.Round(time.Millisecond), b.MaxBackoff.Round(time.Millisecond), minAttempt, minStep(s.attempts))
		}
	}
	if e.RecordTimeout >= e.StepTimeout {
		d.at("engine.record_timeout", "%v must be shorter than step_timeout (%v): recording a step's outcome is one store write, and a step plus its record must fit the lease",
			e.RecordTimeout, e.StepTimeout)
	} else if e.LeaseTTL > e.StepTimeout && e.StepTimeout+e.RecordTimeout >= e.LeaseTTL {
		d.at("engine.record_timeout", "step_timeout %v plus record_timeout %v must be shorter than lease_ttl (%v): a step whose outcome is written after its lease ran out can run twice",
			e.StepTimeout, e.RecordTimeout, e.LeaseTTL)
	}
	if a := c.Providers.Azure; a.Enabled() && a.AssessTimeout > 0 {
		switch {
		case a.AssessTimeout <= e.StepTimeout:
			d.at("providers.azure.assess_timeout", "%v must be longer than engine.step_timeout (%v): an assessment takes minutes and is polled across steps, so a shorter bound fails machines whose assessment is still running",
				a.AssessTimeout, e.StepTimeout)
		case a.PollInterval > 0 && a.AssessTimeout <= a.PollInterval:
			d.at("providers.azure.assess_timeout", "%v must be longer than poll_interval (%v): the assessment would time out before its first poll",
				a.AssessTimeout, a.PollInterval)
		}
	}
}

// minStep is the shortest step timeout that gives each of n attempts
// minAttempt (runbooks.StepBudget's split), rounded up to a second.
func minStep(n int) time.Duration {
	b := runbooks.StepBudget(time.Hour, n)
	ratio := float64(time.Hour) / float64(b.PerAttempt)
	return time.Duration(math.Ceil(ratio*minAttempt.Seconds())) * time.Second
}
