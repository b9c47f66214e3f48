package config

import "gopkg.in/yaml.v3"

// The saml and drift sections and the daily-hygiene schedules.

func (d *decoder) saml(s *SAML) func(*yaml.Node, string) {
	return d.section(
		field{"thresholds", d.section(
			field{"warn_days", d.integer(&s.WarnDays)},
			field{"page_days", d.integer(&s.PageDays)},
		)},
		field{"fetch_timeout", d.duration(&s.FetchTimeout, "s")},
		field{"sources", d.samlSources(&s.Sources)},
	)
}

func (d *decoder) samlSources(dst *[]SAMLSource) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		out := []SAMLSource{}
		d.items(v, path, func(v *yaml.Node, p string) {
			s := SAMLSource{Kind: "generic"}
			d.fields(v, p,
				field{"name", d.str(&s.Name)},
				field{"kind", d.str(&s.Kind)},
				field{"url", d.str(&s.URL)},
				field{"file", d.str(&s.File)},
				field{"integration", d.str(&s.Integration)},
			)
			out = append(out, s)
		})
		*dst = out
	}
}

func (d *decoder) drift(s *Drift) func(*yaml.Node, string) {
	return d.section(
		field{"workspaces", d.driftWorkspaces(&s.Workspaces)},
		field{"concurrency", d.integer(&s.Concurrency)},
		field{"include_planned_changes", d.boolean(&s.IncludePlannedChanges)},
		field{"timeout", d.duration(&s.Timeout, "m")},
		field{"terraform_path", d.str(&s.TerraformPath)},
		field{"approvers", d.strs(&s.Approvers)},
		field{"groups", d.strs(&s.Groups)},
	)
}

func (d *decoder) driftWorkspaces(dst *[]DriftWorkspace) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		out := []DriftWorkspace{}
		d.items(v, path, func(v *yaml.Node, p string) {
			var w DriftWorkspace
			d.fields(v, p,
				field{"name", d.str(&w.Name)},
				field{"tenant", d.str(&w.Tenant)},
				field{"account", d.str(&w.Account)},
				field{"dir", d.str(&w.Dir)},
				field{"vars", d.strMap(&w.Vars)},
				field{"backend_config", d.strMap(&w.BackendConfig)},
				field{"plan_json", d.str(&w.PlanJSON)},
			)
			out = append(out, w)
		})
		*dst = out
	}
}
