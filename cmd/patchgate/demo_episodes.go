package main

import "context"

// episodes are the parts of the demo story played after every cycle has
// finished, in order: each shows one runbook beyond the patch cycle, driven
// through the Slack sandbox like the rest of the story.
func (p *slackPeople) episodes() []func(context.Context) error {
	return []func(context.Context) error{
		p.dailyChecks,     // SAML runbooks, drift report, status digest (demo_daily.go)
		p.emergencyChange, // an emergency change with a waiver (demo_emergency.go)
		p.posture,         // SLA posture: due soon, an exception, charts (demo_posture.go)
		p.remediation,     // an AWS Config event becomes an approved remediation (demo_remediation.go)
		p.sensors,         // unsensored hosts deployed (demo_sensors.go)
		p.prevention,      // a Detection → Prevention rollout of one tier (demo_prevention.go)
	}
}

// demoSections is the configuration the episodes add to the demo's file,
// each from its own file; dir is the demo's temporary directory.
func demoSections(dir string) string {
	return demoPostureYAML(dir) + demoRemediationYAML(dir) + demoSensorsYAML(dir)
}
