package config

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// validate checks the rules that a value's type cannot express. Each check
// reports through d.at, so a problem points at the line that set the value,
// or at its section when the value is a default.
func (d *decoder) validate(c *Config) {
	d.checkStore(&c.Store)
	d.checkEngine(&c.Engine)
	d.checkPipeline(c.Tiers)
	d.checkTenants(c.TenantList, c.Tiers)
	d.checkWindows(c)
	d.checkFreezes(c)
	d.checkSchedules(&c.Schedules)
	d.checkProviders(&c.Providers)
	d.checkSlack(&c.Slack)
	d.checkIntegrations(c)
	d.checkSimulate(c)
	d.checkRuntime(c)
	d.checkDaily(c)
	d.checkSLA(c)
	d.checkRollback(c)
	d.checkGCP(&c.Providers.GCP)
	d.checkAudit(&c.Audit)
	d.checkBudgets(c)
	d.checkChangeRecords(c)
	d.checkEDR(c)
	d.checkRemediation(c)
}

func (d *decoder) checkStore(s *Store) {
	switch s.Backend {
	case BackendBolt:
		if s.Bolt.Path == "" {
			d.at("store.bolt.path", "must not be empty; omit it for %s", DefaultBoltPath)
		}
	case BackendRedis:
		if s.Redis.Addr == "" && !s.Redis.Sentinel.Enabled() {
			d.at("store.redis.addr", "is required for the redis backend (host:port, or a socket path with network: unix)")
		}
	default:
		d.at("store.backend", "unknown backend %q%s", s.Backend, want(s.Backend, BackendBolt, BackendRedis))
	}
	// The redis section is checked even when unused, so switching backends
	// later does not uncover old mistakes.
	r := s.Redis
	switch {
	case r.Network != "tcp" && r.Network != "unix":
		d.at("store.redis.network", "unknown network %q%s", r.Network, want(r.Network, "tcp", "unix"))
	case r.Network == "tcp" && r.Addr != "":
		if _, _, err := net.SplitHostPort(r.Addr); err != nil {
			d.at("store.redis.addr", "%q is not host:port", r.Addr)
		}
	}
	if r.DB < 0 {
		d.at("store.redis.db", "must not be negative, got %d", r.DB)
	}
	switch {
	case r.Prefix == "":
		d.at("store.redis.prefix", "must not be empty; omit it for patchgate")
	case strings.ContainsAny(r.Prefix, "{}"):
		d.at("store.redis.prefix", "must not contain { or }: the store makes the prefix the keys' hash tag")
	}
	d.checkSecret("store.redis.password", r.Password)
}

// checkSecret refuses a secret written inline.
func (d *decoder) checkSecret(field string, s Secret) {
	if err := s.check(); err != nil {
		d.at(field, "%v", err)
	}
}

func (d *decoder) checkEngine(e *Engine) {
	d.positive("engine.tick", e.Tick)
	d.positive("engine.lease_ttl", e.LeaseTTL)
	d.positive("engine.step_timeout", e.StepTimeout)
	d.atLeast("engine.workers", e.Workers, 1)
	d.atLeast("engine.max_steps", e.MaxSteps, 1)
	d.atLeast("engine.max_errors", e.MaxErrors, 1)
	if e.WriteFormat < 1 || e.WriteFormat > runbooks.RecordFormat {
		d.at("engine.record_format", "%d is not a record format this release writes (1 to %d)", e.WriteFormat, runbooks.RecordFormat)
	}
	for j, u := range e.Requesters {
		if !slackUser.MatchString(u) {
			d.at(index("engine.requesters", j), "%q is not a Slack user ID (U… or W…)", u)
		}
	}
	for j, g := range e.RequesterGroups {
		if !slackGroup.MatchString(g) {
			d.at(index("engine.requester_groups", j), "%q is not a Slack user-group ID (S…)", g)
		}
	}
	if e.StepTimeout > 0 && e.LeaseTTL > 0 && e.StepTimeout >= e.LeaseTTL {
		d.at("engine.step_timeout", "%v must be shorter than lease_ttl (%v): a step that outlives its lease can run twice",
			e.StepTimeout, e.LeaseTTL)
	}
}

func (d *decoder) checkSchedules(s *Schedules) {
	switch s.Timezone {
	case "":
		d.at("schedules.timezone", "must not be empty; omit it for UTC")
	case "Local":
		d.at("schedules.timezone", "Local depends on the host; name the zone, e.g. UTC or America/Chicago")
	default:
		if _, err := time.LoadLocation(s.Timezone); err != nil {
			d.at("schedules.timezone", "unknown timezone %q; use an IANA name, e.g. UTC or America/Chicago", s.Timezone)
		}
	}
	if err := checkCron(s.PatchCycle, s.Timezone); err != nil {
		d.at("schedules.patch_cycle", "%v", err)
	}
	if s.PreflightBefore < 0 || s.PreflightBefore > maxPreflightBefore {
		d.at("schedules.preflight_before", "must be from 0 (off) to %s ahead of the patch cycle, got %s", runbooks.ForPeople(maxPreflightBefore), runbooks.ForPeople(s.PreflightBefore))
	}
}

// maxPreflightBefore keeps the preflight ahead of its own cycle: a longer
// lead would land before the previous cycle's firing.
const maxPreflightBefore = 14 * 24 * time.Hour

// providerSections are sections of providers, not kinds; naming one as the
// kind is not a typo, so the message says what to write instead.
var providerSections = []string{"aws", "azure", "gcp", "falcon", "pagerduty", "dynatrace"}

func (d *decoder) checkProviders(p *Providers) {
	switch {
	case p.Kind == ProviderSim, p.Kind == ProviderCloud:
	case slices.Contains(providerSections, p.Kind):
		d.at("providers.kind", "%q is a provider section, not a kind: a providers.%s section sends its targets to that cloud; kind is sim (clouds without a section simulated) or cloud (nothing simulated)", p.Kind, p.Kind)
	default:
		d.at("providers.kind", "unknown provider kind %q%s", p.Kind, want(p.Kind, ProviderSim, ProviderCloud))
	}
	d.atLeast("providers.sim.hosts_per_target", p.Sim.HostsPerTarget, 1)
	d.notNegative("providers.sim.op_duration", p.Sim.OpDuration)
	d.notNegative("providers.sim.latency", p.Sim.Latency)
}

func (d *decoder) positive(field string, v time.Duration) {
	if v == 0 {
		d.at(field, "must be longer than 0")
	}
	d.notNegative(field, v)
}

func (d *decoder) notNegative(field string, v time.Duration) {
	if v < 0 {
		d.at(field, "must not be negative, got %v", v)
	}
}

func (d *decoder) atLeast(field string, v, least int) {
	if v < least {
		d.at(field, "must be at least %d, got %d", least, v)
	}
}

// want lists the allowed values, suggesting the one probably meant:
// "; did you mean redis?" or " (want bolt or redis)".
func want(got string, allowed ...string) string {
	if s, ok := suggest(got, allowed); ok {
		return fmt.Sprintf("; did you mean %s?", s)
	}
	return " (want " + orList(allowed) + ")"
}

// orList joins values as "a", "a or b", "a, b or c".
func orList(vs []string) string {
	if len(vs) <= 1 {
		return strings.Join(vs, "")
	}
	return strings.Join(vs[:len(vs)-1], ", ") + " or " + vs[len(vs)-1]
}
