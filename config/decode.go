package config

import (
	"gopkg.in/yaml.v3"

	"github.com/patchgate/patchgate/runbooks"
)

// This file is the schema: which keys each section has and how each value
// decodes. Rules that need more than one value live in validate*.go.

const sectionList = "store, engine, pipeline, tenants, schedules, providers, slack, log, observability, saml, drift"

func (d *decoder) root(n *yaml.Node, c *Config) {
	d.fields(n, "",
		field{"store", d.store(&c.Store)},
		field{"engine", d.engine(&c.Engine)},
		field{"pipeline", d.pipeline(&c.Tiers)},
		field{"tenants", d.tenants(&c.TenantList)},
		field{"schedules", d.section(
			field{"timezone", d.str(&c.Schedules.Timezone)},
			field{"patch_cycle", d.str(&c.Schedules.PatchCycle)},
			field{"saml_check", d.str(&c.Schedules.SAMLCheck)},
			field{"drift_report", d.str(&c.Schedules.DriftReport)},
			field{"status_digest", d.str(&c.Schedules.StatusDigest)},
			field{"posture_digest", d.str(&c.Schedules.PostureDigest)},
			field{"grace", d.duration(&c.Schedules.Grace, "m")},
		)},
		field{"providers", d.section(
			field{"kind", d.str(&c.Providers.Kind)},
			field{"sim", d.section(
				field{"seed", d.int64(&c.Providers.Sim.Seed)},
				field{"hosts_per_target", d.integer(&c.Providers.Sim.HostsPerTarget)},
				field{"op_duration", d.duration(&c.Providers.Sim.OpDuration, "s")},
				field{"latency", d.duration(&c.Providers.Sim.Latency, "ms")},
				field{"state_path", d.str(&c.Providers.Sim.StatePath)},
				field{"groups", d.strsMap(&c.Providers.Sim.Groups)},
			)},
			field{"aws", d.aws(&c.Providers.AWS)},
			field{"falcon", d.section(
				field{"client_id", text(d, &c.Providers.Falcon.ClientID)},
				field{"client_secret", text(d, &c.Providers.Falcon.ClientSecret)},
				field{"cloud", d.str(&c.Providers.Falcon.Cloud)},
				field{"last_seen_within", d.duration(&c.Providers.Falcon.LastSeenWithin, "m")},
				field{"overrides", d.kernelOverrides(&c.Providers.Falcon.Overrides)},
			)},
			field{"pagerduty", d.section(
				field{"routing_key", text(d, &c.Providers.PagerDuty.RoutingKey)},
				field{"events_url", d.str(&c.Providers.PagerDuty.EventsURL)},
			)},
			field{"azure", d.azure(&c.Providers.Azure)},
			field{"dynatrace", d.section(
				field{"url", d.str(&c.Providers.Dynatrace.URL)},
				field{"token", text(d, &c.Providers.Dynatrace.Token)},
				field{"selectors", d.strMap(&c.Providers.Dynatrace.Selectors)},
			)},
			field{"gcp", d.gcp(&c.Providers.GCP)},
		)},
		field{"slack", d.section(
			field{"transport", d.str(&c.Slack.Transport)},
			field{"bot_token", text(d, &c.Slack.BotToken)},
			field{"app_token", text(d, &c.Slack.AppToken)},
			field{"signing_secret", text(d, &c.Slack.SigningSecret)},
			field{"channel", d.str(&c.Slack.Channel)},
			field{"listen", d.str(&c.Slack.Listen)},
			field{"api_url", d.str(&c.Slack.APIURL)},
			field{"update_interval", d.duration(&c.Slack.UpdateInterval, "s")},
		)},
		field{"log", d.section(
			field{"format", d.str(&c.Log.Format)},
			field{"level", d.str(&c.Log.Level)},
		)},
		field{"observability", d.section(field{"listen", d.str(&c.Observability.Listen)})},
		field{"saml", d.saml(&c.SAML)},
		field{"drift", d.drift(&c.Drift)},
	)
}

// section decodes a nested mapping with the given keys.
func (d *decoder) section(fs ...field) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) { d.fields(v, path, fs...) }
}

func (d *decoder) store(s *Store) func(*yaml.Node, string) {
	return d.section(
		field{"backend", d.str(&s.Backend)},
		field{"bolt", d.section(field{"path", d.str(&s.Bolt.Path)})},
		field{"redis", d.section(
			field{"network", d.str(&s.Redis.Network)},
			field{"addr", d.str(&s.Redis.Addr)},
			field{"password", text(d, &s.Redis.Password)},
			field{"db", d.integer(&s.Redis.DB)},
			field{"prefix", d.str(&s.Redis.Prefix)},
			field{"tls", d.section(
				field{"enabled", d.boolean(&s.Redis.TLS.Enabled)},
				field{"ca_file", d.str(&s.Redis.TLS.CAFile)},
				field{"cert_file", d.str(&s.Redis.TLS.CertFile)},
				field{"key_file", d.str(&s.Redis.TLS.KeyFile)},
				field{"server_name", d.str(&s.Redis.TLS.ServerName)},
				field{"insecure_skip_verify", d.boolean(&s.Redis.TLS.InsecureSkipVerify)},
			)},
			field{"sentinel", d.section(
				field{"master_name", d.str(&s.Redis.Sentinel.MasterName)},
				field{"addrs", d.strs(&s.Redis.Sentinel.Addrs)},
				field{"password", text(d, &s.Redis.Sentinel.Password)},
			)},
		)},
	)
}

func (d *decoder) engine(e *Engine) func(*yaml.Node, string) {
	return d.section(
		field{"tick", d.duration(&e.Tick, "s")},
		field{"lease_ttl", d.duration(&e.LeaseTTL, "s")},
		field{"workers", d.integer(&e.Workers)},
		field{"max_steps", d.integer(&e.MaxSteps)},
		field{"max_errors", d.integer(&e.MaxErrors)},
		field{"step_timeout", d.duration(&e.StepTimeout, "s")},
		field{"requesters", d.strs(&e.Requesters)},
		field{"requester_groups", d.strs(&e.RequesterGroups)},
	)
}

// pipeline replaces the default tiers with the file's. Every item becomes a
// tier, even a broken one, so c.Tiers[i] is always pipeline[i].
func (d *decoder) pipeline(dst *[]Tier) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		tiers := []Tier{}
		d.items(v, path, func(v *yaml.Node, p string) {
			t := tierDefaults(envOf(v))
			d.fields(v, p,
				field{"env", d.str(&t.Env)},
				field{"approvers", d.strs(&t.Approvers)},
				field{"groups", d.strs(&t.Groups)},
				field{"min_approvals", d.integer(&t.MinApprovals)},
				field{"four_eyes", d.boolean(&t.FourEyes)},
				field{"soak", d.duration(&t.Soak, "h")},
				field{"health_gate", d.boolean(&t.HealthGate)},
				field{"sensor_gate", d.boolean(&t.SensorGate)},
				field{"sensor_policy", d.str(&t.SensorPolicy)},
				field{"waive_min_approvals", d.boolean(&t.WaiveMinApprovals)},
				field{"waive_four_eyes", d.boolean(&t.WaiveFourEyes)},
			)
			tiers = append(tiers, t)
		})
		*dst = tiers
	}
}

// envOf peeks at a tier's env key, which picks the tier's defaults.
func envOf(n *yaml.Node) string {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := deref(n.Content[i]), deref(n.Content[i+1]); k.Value == "env" && v.Kind == yaml.ScalarNode {
			return v.Value
		}
	}
	return ""
}

// tenants decodes the tenant list; as with the pipeline, every item becomes
// a tenant so c.TenantList[i] is always tenants[i].
func (d *decoder) tenants(dst *[]runbooks.Tenant) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		out := []runbooks.Tenant{}
		d.items(v, path, func(v *yaml.Node, p string) {
			var t runbooks.Tenant
			d.fields(v, p,
				field{"name", d.str(&t.Name)},
				field{"display", d.str(&t.Display)},
				field{"environments", d.environments(&t.Environments)},
			)
			out = append(out, t)
		})
		*dst = out
	}
}

// environments decodes a mapping of environment name to its targets.
func (d *decoder) environments(dst *[]runbooks.Environment) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		d.entries(v, path, func(name string, _, v *yaml.Node, p string) {
			e := runbooks.Environment{Name: name}
			d.fields(v, p, field{"targets", d.targets(&e.Targets)})
			*dst = append(*dst, e)
		})
	}
}

func (d *decoder) targets(dst *[]runbooks.Target) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		d.items(v, path, func(v *yaml.Node, p string) {
			var t runbooks.Target
			d.fields(v, p,
				field{"cloud", text(d, &t.Cloud)},
				field{"account", d.str(&t.Account)},
				field{"regions", d.strs(&t.Regions)},
				field{"groups", d.strs(&t.Groups)},
				field{"selector", d.strMap(&t.Selector)},
				field{"databases", d.strs(&t.Databases)},
			)
			*dst = append(*dst, t)
		})
	}
}

// text decodes a string into a named string type (a Cloud, a Secret).
func text[T ~string](d *decoder, dst *T) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		d.schema.named(path, *dst)
		s := string(*dst)
		d.str(&s)(v, path)
		*dst = T(s)
	}
}

// kernelOverrides decodes the pinned sensor/kernel support matrix.
func (d *decoder) kernelOverrides(dst *[]KernelOverride) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		out := []KernelOverride{}
		d.items(v, path, func(v *yaml.Node, p string) {
			var o KernelOverride
			d.fields(v, p,
				field{"os", d.str(&o.OS)},
				field{"kernel", d.str(&o.Kernel)},
				field{"sensor", d.str(&o.Sensor)},
				field{"supported", d.boolean(&o.Supported)},
				field{"reason", d.str(&o.Reason)},
			)
			out = append(out, o)
		})
		*dst = out
	}
}
