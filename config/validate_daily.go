package config

import (
	"net/url"
	"path/filepath"
	"slices"
	"strings"
)

// checkDaily validates the saml and drift sections and their schedules.
func (d *decoder) checkDaily(c *Config) {
	s := c.SAML
	d.atLeast("saml.thresholds.page_days", s.PageDays, 1)
	if s.WarnDays <= s.PageDays {
		d.at("saml.thresholds.warn_days", "must be more than page_days (%d), got %d: a runbook should come before the page", s.PageDays, s.WarnDays)
	}
	d.positive("saml.fetch_timeout", s.FetchTimeout)
	names := map[string]bool{}
	for i, src := range s.Sources {
		p := index("saml.sources", i)
		switch {
		case src.Name == "":
			d.at(p+".name", "is required (it names the source in runbooks and errors)")
		case strings.ContainsAny(src.Name, "/ "):
			d.at(p+".name", "%q may not contain '/' or spaces", src.Name)
		case names[src.Name]:
			d.at(p+".name", "%q is used by another source", src.Name)
		}
		names[src.Name] = true
		if !slices.Contains(SAMLKinds, src.Kind) {
			d.at(p+".kind", "unknown provider kind %q%s", src.Kind, want(src.Kind, SAMLKinds...))
		}
		switch {
		case src.IAM():
			if !c.Providers.AWS.Enabled() {
				d.at(p+".kind", "aws-iam without url or file reads IAM SAML providers through providers.aws, which is not configured")
			}
		case len(src.Accounts) > 0:
			d.at(p+".accounts", "only applies to kind aws-iam without url or file")
		case (src.URL == "") == (src.File == ""):
			d.at(p, "needs exactly one of url and file (or kind aws-iam to read IAM SAML providers)")
		case src.URL != "":
			if u, err := url.Parse(src.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				d.at(p+".url", "%q is not an http(s) URL", src.URL)
			}
		case !filepath.IsAbs(src.File):
			// A relative path would be read from whatever directory the
			// process starts in, so the check's result would depend on it.
			d.at(p+".file", "%q is relative; give the absolute path of the metadata file", src.File)
		}
	}
	dr := c.Drift
	d.atLeast("drift.concurrency", dr.Concurrency, 1)
	d.positive("drift.timeout", dr.Timeout)
	names = map[string]bool{}
	for i, w := range dr.Workspaces {
		p := index("drift.workspaces", i)
		switch {
		case w.Name == "":
			d.at(p+".name", "is required")
		case names[w.Name]:
			d.at(p+".name", "%q is used by another workspace", w.Name)
		}
		names[w.Name] = true
		if w.Tenant == "" {
			d.at(p+".tenant", "is required: the digest groups drift by tenant")
		}
		if (w.Dir == "") == (w.PlanJSON == "") {
			d.at(p, "needs exactly one of dir (run terraform there) and plan_json (a recorded plan)")
		}
	}
	for _, f := range []struct{ field, expr string }{
		{"schedules.saml_check", c.Schedules.SAMLCheck},
		{"schedules.drift_report", c.Schedules.DriftReport},
		{"schedules.status_digest", c.Schedules.StatusDigest},
		{"schedules.posture_digest", c.Schedules.PostureDigest},
	} {
		if f.expr == "" {
			continue // the job is off
		}
		if err := checkCron(f.expr, c.Schedules.Timezone); err != nil {
			d.at(f.field, "%v", err)
		}
	}
	d.positive("schedules.grace", c.Schedules.Grace)
}
