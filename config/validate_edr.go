package config

import "regexp"

var (
	sensorVersionRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+){0,3}$`)
	falconIDRE      = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)
)

// checkEDR validates the edr section: environments of the pipeline, once
// each; dotted versions; Falcon IDs shaped as Falcon's when Falcon is the
// source; the digest's cron.
func (d *decoder) checkEDR(c *Config) {
	envs := map[string]bool{}
	for _, t := range c.Tiers {
		envs[t.Env] = true
	}
	seen := map[string]bool{}
	for i, t := range c.EDR.Tiers {
		p := index("edr.tiers", i)
		d.checkMember(p+".env", t.Env, envs, seen, "an environment of the pipeline section")
		if t.MinVersion != "" && !sensorVersionRE.MatchString(t.MinVersion) {
			d.at(p+".min_version", "%q is not a dotted sensor version such as 7.14 or 7.14.17706", t.MinVersion)
		}
		if !c.Providers.Falcon.Enabled() {
			continue
		}
		for _, f := range []struct{ key, id string }{{"host_group", t.HostGroup}, {"prevention_policy", t.PreventionPolicy},
			{"sensor_update_policy", t.SensorUpdatePolicy}} {
			if f.id != "" && !falconIDRE.MatchString(f.id) {
				d.at(p+"."+f.key, "%q is not a Falcon ID (32 hex characters, as the console's URL shows it)", f.id)
			}
		}
	}
	d.checkEDRPrevention(c)
	d.checkEDRDeploy(c.EDR.Deploy)
	if expr := c.EDR.CoverageDigest; expr != "" {
		if err := checkCron(expr, c.Schedules.Timezone); err != nil {
			d.at("edr.coverage_digest", "%v", err)
		}
	}
}
