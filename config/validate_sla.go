package config

import (
	"net/url"
	"path/filepath"
	"strings"

	"github.com/patchgate/patchgate/runbooks/sla"
)

// checkSLA validates the sla section and the posture scan's schedule.
func (d *decoder) checkSLA(c *Config) {
	s := &c.SLA
	d.checkDeadlines("sla.deadlines", s.Deadlines)
	tenants := map[string]bool{}
	for _, t := range c.TenantList {
		tenants[t.Name] = true
	}
	seen := map[string]bool{}
	for i := range s.Tenants {
		t := &s.Tenants[i]
		p := index("sla.tenants", i)
		d.checkMember(p+".tenant", t.Tenant, tenants, seen, "a tenant of the tenants section")
		t.Deadlines = inherit(t.Deadlines, s.Deadlines)
		d.checkDeadlines(p+".deadlines", t.Deadlines)
	}
	if k := s.KEVCatalogue; k != "" {
		if strings.HasPrefix(k, "http://") || strings.HasPrefix(k, "https://") {
			if u, err := url.Parse(k); err != nil || u.Host == "" {
				d.at("sla.kev_catalogue", "%q is not an http(s) URL", k)
			}
		} else if !filepath.IsAbs(k) {
			d.at("sla.kev_catalogue", "%q is relative; give an absolute path or an http(s) URL", k)
		}
	}
	d.atLeast("sla.min_approvals", s.MinApprovals, 1)
	d.atLeast("sla.max_exception_days", s.MaxExceptionDays, 1)
	d.atLeast("sla.reminder_days", s.ReminderDays, 1)
	if expr := c.Schedules.PostureScan; expr != "" {
		if err := checkCron(expr, c.Schedules.Timezone); err != nil {
			d.at("schedules.posture_scan", "%v", err)
		}
	}
}

func (d *decoder) checkDeadlines(p string, dl sla.Deadlines) {
	for _, f := range []struct {
		key  string
		days int
	}{{"critical", dl.Critical}, {"high", dl.High}, {"medium", dl.Medium}, {"low", dl.Low}, {"unrated", dl.Unrated}, {"kev", dl.KEV}} {
		d.atLeast(p+"."+f.key, f.days, 1)
	}
}

// inherit fills an override's unset (-1) fields from the defaults.
func inherit(o, def sla.Deadlines) sla.Deadlines {
	pick := func(v, d int) int {
		if v == -1 {
			return d
		}
		return v
	}
	return sla.Deadlines{Critical: pick(o.Critical, def.Critical), High: pick(o.High, def.High), Medium: pick(o.Medium, def.Medium),
		Low: pick(o.Low, def.Low), Unrated: pick(o.Unrated, def.Unrated), KEV: pick(o.KEV, def.KEV)}
}
