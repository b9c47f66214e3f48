package config

// The sla section: patch deadlines from release dates, the KEV catalogue,
// per-tenant overrides and who may accept a risk; validate_sla.go checks it.

import (
	"gopkg.in/yaml.v3"

	"github.com/patchgate/patchgate/runbooks/sla"
)

// SLA configures continuous compliance between cycles: the deadlines a
// missing patch gets from its release date, the KEV catalogue, and the
// exception (risk acceptance) process.
type SLA struct {
	// Deadlines are days from release per severity, and for KEV CVEs.
	Deadlines sla.Deadlines
	// Tenants overrides deadlines per tenant; an unset field keeps
	// Deadlines' value (filled in by validation).
	Tenants []SLATenant
	// KEVCatalogue is a file path or http(s) URL of CISA's KEV JSON;
	// empty: no KEV deadlines.
	KEVCatalogue string
	// RiskApprovers and RiskGroups may approve exceptions; the requester
	// never may (four eyes), and MinApprovals others must.
	RiskApprovers []string
	RiskGroups    []string
	MinApprovals  int
	// MaxExceptionDays bounds how far ahead an exception's until may be.
	MaxExceptionDays int
	// ReminderDays is how long before an exception's until the reminder goes.
	ReminderDays int
}

// SLATenant is one tenant's deadline override; -1 is "unset".
type SLATenant struct {
	Tenant    string
	Deadlines sla.Deadlines
}

// Policy is the evaluation policy the section describes.
func (s SLA) Policy() sla.Policy {
	p := sla.Policy{Default: s.Deadlines, Tenants: map[string]sla.Deadlines{}}
	for _, t := range s.Tenants {
		p.Tenants[t.Tenant] = t.Deadlines
	}
	return p
}

func slaDefaults() SLA {
	return SLA{Deadlines: sla.DefaultDeadlines(), MinApprovals: 1, MaxExceptionDays: 365, ReminderDays: 14}
}

func (d *decoder) slaSection(s *SLA) func(*yaml.Node, string) {
	return d.section(
		field{"deadlines", "Days from a patch's vendor release date until it must be installed, by severity; a patch whose source gives no release date counts from the day patchgate first saw it missing.", d.slaDeadlines(&s.Deadlines)},
		field{"tenants", "Per-tenant deadline overrides; a key left out keeps `sla.deadlines`' value.", d.slaTenants(&s.Tenants)},
		field{"kev_catalogue", "CISA's Known Exploited Vulnerabilities catalogue as CISA publishes it (JSON): an absolute file path or an http(s) URL such as `" + sla.KEVFeedURL + "`. Empty: no KEV deadlines.", d.str(&s.KEVCatalogue)},
		field{"risk_approvers", "Slack member IDs who may approve an exception (risk acceptance); the requester never approves their own.", d.strs(&s.RiskApprovers)},
		field{"risk_groups", "Slack user-group IDs whose members may approve exceptions.", d.strs(&s.RiskGroups)},
		field{"min_approvals", "Risk approvers other than the requester who must approve an exception.", d.integer(&s.MinApprovals)},
		field{"max_exception_days", "Longest an exception may run from the day it is requested.", d.integer(&s.MaxExceptionDays)},
		field{"reminder_days", "Days before an exception's end at which its reminder is posted.", d.integer(&s.ReminderDays)},
	)
}

func (d *decoder) slaDeadlines(dl *sla.Deadlines) func(*yaml.Node, string) {
	return d.section(
		field{"critical", "Days for critical patches (PCI DSS 6.3.3 asks one month).", d.integer(&dl.Critical)},
		field{"high", "Days for high (important) patches.", d.integer(&dl.High)},
		field{"medium", "Days for medium (moderate) patches.", d.integer(&dl.Medium)},
		field{"low", "Days for low patches.", d.integer(&dl.Low)},
		field{"unrated", "Days for patches the vendor gave no severity.", d.integer(&dl.Unrated)},
		field{"kev", "Days for a patch fixing a CVE in the KEV catalogue, from the later of its release and the day CISA added the CVE (BOD 22-01: two weeks); applies when sooner than its severity's.", d.integer(&dl.KEV)},
	)
}

func (d *decoder) slaTenants(dst *[]SLATenant) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		out := []SLATenant{}
		d.items(v, path, func(v *yaml.Node, p string) {
			t := SLATenant{Deadlines: sla.Deadlines{Critical: -1, High: -1, Medium: -1, Low: -1, Unrated: -1, KEV: -1}}
			d.fields(v, p,
				field{"tenant", "The tenant's name. Required; once per tenant.", d.str(&t.Tenant)},
				field{"deadlines", "Its deadlines, as in `sla.deadlines`.", d.slaDeadlines(&t.Deadlines)},
			)
			out = append(out, t)
		})
		*dst = out
	}
}
