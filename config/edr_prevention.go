package config

// The edr.prevention section: the Detection → Prevention rollout per
// pipeline tier (host group, the two policies, required exclusions,
// monitoring window and detection thresholds); checkEDRPrevention
// validates it.

import (
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/patchgate/patchgate/runbooks"
)

// EDRPrevention configures prevention rollouts.
type EDRPrevention struct {
	Window     time.Duration
	CheckEvery time.Duration
	// Exclusions are required besides the cloud agents' own.
	Exclusions []runbooks.RequiredExclusion
	Thresholds runbooks.DetectionThresholds
	Tiers      []EDRPreventionTier
}

// EDRPreventionTier is one tier's host group and policies; Window 0 takes
// the section's.
type EDRPreventionTier struct {
	Env, Tenant                                  string
	HostGroup, PreventionPolicy, DetectionPolicy string
	Window                                       time.Duration
}

func defaultEDRPrevention() EDRPrevention {
	return EDRPrevention{Window: runbooks.DefaultPreventionWindow, CheckEvery: runbooks.DefaultPreventionCheck,
		Thresholds: runbooks.DetectionThresholds{MaxTotal: 10, Severity: "high", MaxAtSeverity: 0}}
}

func (d *decoder) edrPrevention(p *EDRPrevention) func(*yaml.Node, string) {
	return d.section(
		field{"window", "Monitoring window after a tier's host group moves to the prevention policy; its detection gate decides whether the next tier may start. Default 14 days (336h).", d.duration(&p.Window, "h")},
		field{"check_every", "How often the detections of a tier in its window are read and shown in its thread (the gate itself is judged at the window's end). Default 24h.", d.duration(&p.CheckEvery, "h")},
		field{"required_exclusions", "Exclusions that must exist (global or on the tier's host group) before prevention, besides the cloud agents' own (AWS SSM agent, Azure VM agent, GCP guest and OS Config agents, for the clouds the tenants use): a list of {name, kind: ml|ioa, match (text the exclusion's path or regex contains)}.", d.requiredExclusions(&p.Exclusions)},
		field{"thresholds", "The detection gate: more than `max_detections` detections of any severity, or more than `max_at_severity` at `severity` (informational, low, medium, high, critical) or above, fail it. Default 10 detections, 0 at high or above.", d.section(
			field{"max_detections", "Detections of any severity a tier may have in its window.", d.integer(&p.Thresholds.MaxTotal)},
			field{"severity", "The severity from which `max_at_severity` counts.", d.str(&p.Thresholds.Severity)},
			field{"max_at_severity", "Detections at `severity` or above a tier may have in its window.", d.integer(&p.Thresholds.MaxAtSeverity)},
		)},
		field{"tiers", "One entry per pipeline tier that moves to prevention, rolled out in pipeline order: {env, tenant (optional: one tenant's own group), host_group, prevention_policy, detection_policy (Falcon IDs), window (optional)}.", d.preventionTiers(&p.Tiers)},
	)
}

func (d *decoder) requiredExclusions(dst *[]runbooks.RequiredExclusion) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		out := []runbooks.RequiredExclusion{}
		d.items(v, path, func(v *yaml.Node, p string) {
			var x runbooks.RequiredExclusion
			d.fields(v, p,
				field{"name", "What the exclusion is for, as the block message names it.", d.str(&x.Name)},
				field{"kind", "ml (machine-learning exclusion) or ioa (IOA exclusion).", d.str(&x.Kind)},
				field{"match", "Text the exclusion's path glob or regex must contain (case-insensitive).", d.str(&x.Match)},
			)
			out = append(out, x)
		})
		*dst = out
	}
}

func (d *decoder) preventionTiers(dst *[]EDRPreventionTier) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		out := []EDRPreventionTier{}
		d.items(v, path, func(v *yaml.Node, p string) {
			var t EDRPreventionTier
			d.fields(v, p,
				field{"env", "A pipeline environment. Required.", d.str(&t.Env)},
				field{"tenant", "The tenant this entry is for; empty: every tenant without its own entry.", d.str(&t.Tenant)},
				field{"host_group", "Falcon host group ID of the tier's hosts. Required.", d.str(&t.HostGroup)},
				field{"prevention_policy", "Falcon prevention policy ID in prevention mode. Required.", d.str(&t.PreventionPolicy)},
				field{"detection_policy", "Falcon prevention policy ID in detection-only mode, where the group starts and returns on rollback. Required.", d.str(&t.DetectionPolicy)},
				field{"window", "This tier's monitoring window; empty: the section's.", d.duration(&t.Window, "h")},
			)
			out = append(out, t)
		})
		*dst = out
	}
}

// PreventionSettings are the engine's rollout settings: each tier with
// the section's window, thresholds and required exclusions (the cloud
// agents' own for the clouds the tenants use, then the configured list).
func (c *Config) PreventionSettings() runbooks.PreventionSettings {
	p := c.EDR.Prevention
	var clouds []runbooks.Cloud
	for _, t := range c.Tenants() {
		for _, e := range t.Environments {
			for _, tg := range e.Targets {
				if !slices.Contains(clouds, tg.Cloud) {
					clouds = append(clouds, tg.Cloud)
				}
			}
		}
	}
	slices.Sort(clouds)
	req := append(runbooks.DefaultRequiredExclusions(clouds...), p.Exclusions...)
	var out runbooks.PreventionSettings
	for _, t := range p.Tiers {
		w := t.Window
		if w == 0 {
			w = p.Window
		}
		out.Tiers = append(out.Tiers, runbooks.PreventionTier{Tenant: t.Tenant, Env: t.Env, HostGroup: t.HostGroup,
			PreventionPolicy: t.PreventionPolicy, DetectionPolicy: t.DetectionPolicy, Window: w, CheckEvery: p.CheckEvery,
			Exclusions: slices.Clone(req), Thresholds: p.Thresholds})
	}
	return out
}

// checkEDRPrevention validates edr.prevention: tiers of the pipeline and
// tenants of the tenants section, each (tenant, env) once, Falcon IDs
// present and shaped as Falcon's, kinds and severities Falcon knows.
func (d *decoder) checkEDRPrevention(c *Config) {
	p := c.EDR.Prevention
	envs := map[string]bool{}
	for _, t := range c.Tiers {
		envs[t.Env] = true
	}
	tenants := map[string]bool{}
	for _, t := range c.TenantList {
		tenants[t.Name] = true
	}
	const path = "edr.prevention"
	// Without Falcon only the simulated fleet's console can answer, and
	// only for a simulated fleet.
	if len(p.Tiers) > 0 && !c.Providers.Falcon.Enabled() && c.Providers.Kind != ProviderSim {
		d.at(path+".tiers", "needs providers.falcon (the rollout moves Falcon host groups)")
	}
	if p.Window <= 0 {
		d.at(path+".window", "must be positive")
	}
	if p.CheckEvery <= 0 {
		d.at(path+".check_every", "must be positive")
	}
	if runbooks.SeverityRank(p.Thresholds.Severity) < 0 {
		d.at(path+".thresholds.severity", "%q is not a Falcon severity (informational, low, medium, high, critical)", p.Thresholds.Severity)
	}
	if p.Thresholds.MaxTotal < 0 || p.Thresholds.MaxAtSeverity < 0 {
		d.at(path+".thresholds", "counts may not be negative")
	}
	for i, x := range p.Exclusions {
		q := index(path+".required_exclusions", i)
		if x.Name == "" {
			d.at(q+".name", "is required")
		}
		if x.Kind != runbooks.ExclusionML && x.Kind != runbooks.ExclusionIOA {
			d.at(q+".kind", "%q: want ml or ioa", x.Kind)
		}
		if x.Match == "" {
			d.at(q+".match", "is required")
		}
	}
	seen := map[string]bool{}
	for i, t := range p.Tiers {
		q := index(path+".tiers", i)
		switch {
		case t.Env == "":
			d.at(q+".env", "is required")
		case !envs[t.Env]:
			d.at(q+".env", "%q is not an environment of the pipeline section", t.Env)
		case seen[t.Tenant+"/"+t.Env]:
			d.at(q+".env", "%q is listed twice for the same tenant", t.Env)
		}
		seen[t.Tenant+"/"+t.Env] = true
		if t.Tenant != "" && !tenants[t.Tenant] {
			d.at(q+".tenant", "%q is not a tenant of the tenants section", t.Tenant)
		}
		for _, f := range []struct{ key, id string }{{"host_group", t.HostGroup}, {"prevention_policy", t.PreventionPolicy}, {"detection_policy", t.DetectionPolicy}} {
			switch {
			case f.id == "":
				d.at(q+"."+f.key, "is required")
			case !falconIDRE.MatchString(f.id):
				d.at(q+"."+f.key, "%q is not a Falcon ID (32 hex characters, as the console's URL shows it)", f.id)
			}
		}
		if t.PreventionPolicy != "" && t.PreventionPolicy == t.DetectionPolicy {
			d.at(q+".detection_policy", "is the prevention policy; the rollout moves the group between two policies")
		}
		if t.Window < 0 {
			d.at(q+".window", "must be positive")
		}
	}
}
