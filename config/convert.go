package config

import (
	"maps"
	"slices"

	"github.com/patchgate/patchgate/runbooks"
)

// The conversions copy, so whatever the engine or a test does with the
// result cannot change the loaded Config.

// Tenants returns the tenants for runbooks.New, environments in pipeline
// order.
func (c *Config) Tenants() []runbooks.Tenant {
	out := make([]runbooks.Tenant, len(c.TenantList))
	for i, t := range c.TenantList {
		out[i] = runbooks.Tenant{Name: t.Name, Display: t.Display, Environments: make([]runbooks.Environment, len(t.Environments)),
			Windows: maps.Clone(t.Windows)}
		for j, e := range t.Environments {
			out[i].Environments[j] = runbooks.Environment{Name: e.Name, Targets: make([]runbooks.Target, len(e.Targets))}
			for k, tg := range e.Targets {
				tg.Regions = slices.Clone(tg.Regions)
				tg.Groups = slices.Clone(tg.Groups)
				tg.Selector = maps.Clone(tg.Selector)
				out[i].Environments[j].Targets[k] = tg
			}
		}
	}
	return out
}

// Pipeline returns the tiers for runbooks.New. Waivers do not travel: they
// only let validation accept the policy the engine then enforces.
func (c *Config) Pipeline() runbooks.Pipeline {
	out := make(runbooks.Pipeline, len(c.Tiers))
	for i, t := range c.Tiers {
		out[i] = runbooks.EnvSpec{
			Env: t.Env, Approvers: slices.Clone(t.Approvers), Groups: slices.Clone(t.Groups),
			MinApprovals: t.MinApprovals, FourEyes: t.FourEyes, Soak: t.Soak,
			HealthGate: t.HealthGate, SensorGate: t.SensorGate, SensorExclude: t.SensorPolicy == SensorExclude,
			Production: t.Production, Staging: t.Staging, RequireChangeApproval: t.RequireChangeApproval,
			AutoRemediate: t.AutoRemediate,
			Window:        t.Window, MinRemaining: t.MinRemaining, ApprovalTTL: t.ApprovalTTL,
		}
		for _, a := range t.EmergencyApprovers {
			if slackGroup.MatchString(a) {
				out[i].EmergencyGroups = append(out[i].EmergencyGroups, a)
			} else {
				out[i].EmergencyApprovers = append(out[i].EmergencyApprovers, a)
			}
		}
	}
	return out
}

// EngineConfig returns the engine loop's settings. Replica is left empty:
// it must differ per process, so it does not belong in a shared file (see
// runbooks.ReplicaID).
func (c *Config) EngineConfig() runbooks.Config {
	e := c.Engine
	e.ChangePoll = c.ChangeRecords.Poll
	e.Freezes = c.engineFreezes()
	e.Remediation.Debounce = c.Remediation.Debounce
	e.Remediation.ComplianceTimeout = c.Remediation.ComplianceTimeout
	e.Remediation.CompliancePoll = c.Remediation.CompliancePoll
	e.Remediation.ClaimTTL = c.Remediation.ClaimTTL
	e.Prevention = c.PreventionSettings()
	e.SensorDeploy = c.EDR.Deploy.Settings()
	return e
}
