package config

// The edr section: what each environment's Falcon sensors are expected to
// be (minimum version, host group, policies) and when the coverage digest
// is posted; validate_edr.go checks it.

import (
	"gopkg.in/yaml.v3"

	"github.com/patchgate/patchgate/runbooks/edr"
)

// EDR configures the EDR (Falcon sensor) lifecycle: coverage and
// validation against each environment's expectations.
type EDR struct {
	// Tiers are the expectations per pipeline environment; an environment
	// left out expects only a registered, fully functional sensor.
	Tiers []EDRTier
	// CoverageDigest is a cron for the daily sensor coverage digest;
	// empty: on demand only (`/patch sensors`).
	CoverageDigest string
	// Prevention is the Detection → Prevention rollout (edr_prevention.go).
	Prevention EDRPrevention
	// Deploy configures the sensor deployment runbook (edr_deploy.go).
	Deploy EDRDeploy
}

// EDRTier is one environment's expectations.
type EDRTier struct {
	Env                string
	MinVersion         string
	HostGroup          string
	PreventionPolicy   string
	SensorUpdatePolicy string
}

// ByEnv is the expectations by environment name, for runbooks/edr.
func (e EDR) ByEnv() map[string]edr.Tier {
	out := make(map[string]edr.Tier, len(e.Tiers))
	for _, t := range e.Tiers {
		out[t.Env] = edr.Tier{Env: t.Env, MinVersion: t.MinVersion, HostGroup: t.HostGroup,
			PreventionPolicy: t.PreventionPolicy, SensorUpdatePolicy: t.SensorUpdatePolicy}
	}
	return out
}

func (d *decoder) edrSection(e *EDR) func(*yaml.Node, string) {
	return d.section(
		field{"tiers", "Expectations of the Falcon sensors per pipeline environment, checked by `/patch sensors` (coverage) and validation; an environment left out expects only a registered sensor not in reduced-functionality mode.", d.edrTiers(&e.Tiers)},
		field{"prevention", "The phased Detection → Prevention rollout per pipeline tier (`/patch prevention <tenant> <tier>`): required exclusions, the host group's move between the two policies, then a monitoring window whose detection gate lets the next tier start.", d.edrPrevention(&e.Prevention)},
		field{"coverage_digest", "Cron for the daily EDR sensor coverage digest in the Slack channel (hosts without a sensor, outdated, or in RFM, per tenant and environment); empty: on demand only (`/patch sensors`).", d.str(&e.CoverageDigest)},
		field{"deploy", "The sensor deployment runbook (`/patch sensors deploy`): batches, concurrency and the install command per cloud; absent: deployments are refused.", d.edrDeploySection(&e.Deploy)},
	)
}

func (d *decoder) edrTiers(dst *[]EDRTier) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		out := []EDRTier{}
		d.items(v, path, func(v *yaml.Node, p string) {
			var t EDRTier
			d.fields(v, p,
				field{"env", "A pipeline environment. Required; once.", d.str(&t.Env)},
				field{"min_version", "Lowest acceptable sensor version (dotted, e.g. `7.14` or `7.14.17706`); an older sensor counts as outdated.", d.str(&t.MinVersion)},
				field{"host_group", "Falcon host group ID (32 hex characters) the environment's hosts must be in; empty: not checked.", d.str(&t.HostGroup)},
				field{"prevention_policy", "Falcon prevention policy ID the hosts must have assigned; empty: not checked.", d.str(&t.PreventionPolicy)},
				field{"sensor_update_policy", "Falcon sensor-update policy ID the hosts must have assigned; empty: not checked.", d.str(&t.SensorUpdatePolicy)},
			)
			out = append(out, t)
		})
		*dst = out
	}
}
