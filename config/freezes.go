package config

import (
	"fmt"
	"sort"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/patchgate/patchgate/runbooks"
)

// Freeze is one configured change freeze (blackout): month-end processing,
// holidays. Approvers add others by command (/patch freeze).
type Freeze struct {
	Tenant string // a tenant, or "all" (the default)
	From   string // RFC 3339, or YYYY-MM-DD for midnight UTC
	Until  string // same; the freeze ends at this instant
	Reason string
	// Start and End are From and Until read; set by Parse.
	Start, End time.Time
}

func (d *decoder) freezes(dst *[]Freeze) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		out := []Freeze{}
		d.items(v, path, func(v *yaml.Node, p string) {
			f := Freeze{Tenant: runbooks.FreezeAll}
			d.fields(v, p,
				field{"tenant", "The tenant frozen, or `all`.", d.str(&f.Tenant)},
				field{"from", "Start: RFC 3339 (`2026-12-24T00:00:00-06:00`) or a date (`2026-12-24`, midnight UTC). Required.", d.str(&f.From)},
				field{"until", "End, written like `from`; the freeze lifts at this instant. Required.", d.str(&f.Until)},
				field{"reason", "Shown on every cycle the freeze holds, in `status` and in digests. Required.", d.str(&f.Reason)},
			)
			out = append(out, f)
		})
		*dst = out
	}
}

// freezeTime reads RFC 3339 or a date.
func freezeTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not RFC 3339 (2026-12-24T00:00:00-06:00) or a date (2026-12-24)", s)
}

// checkFreezes reads each freeze's times and refuses an unknown tenant, an
// empty reason, an end not after the start, and two freezes of the same
// scope (or one of all tenants) that overlap: an overlap is almost always a
// typo in a date, and two reasons for one hour leave people guessing.
func (d *decoder) checkFreezes(c *Config) {
	tenants := map[string]bool{runbooks.FreezeAll: true}
	for _, t := range c.TenantList {
		tenants[t.Name] = true
	}
	ok := make([]bool, len(c.Freezes))
	for i := range c.Freezes {
		f := &c.Freezes[i]
		p := index("freezes", i)
		ok[i] = true
		if !tenants[f.Tenant] {
			d.at(p+".tenant", "unknown tenant %q; name a configured tenant or all", f.Tenant)
		}
		if f.Reason == "" {
			d.at(p+".reason", "is required: it is shown on every cycle the freeze holds")
		}
		for _, tf := range []struct {
			name string
			s    string
			dst  *time.Time
		}{{"from", f.From, &f.Start}, {"until", f.Until, &f.End}} {
			if tf.s == "" {
				d.at(p+"."+tf.name, "is required")
				ok[i] = false
				continue
			}
			t, err := freezeTime(tf.s)
			if err != nil {
				d.at(p+"."+tf.name, "%v", err)
				ok[i] = false
				continue
			}
			*tf.dst = t
		}
		if ok[i] && !f.End.After(f.Start) {
			d.at(p+".until", "%s is not after from (%s)", f.Until, f.From)
			ok[i] = false
		}
	}
	order := make([]int, 0, len(c.Freezes))
	for i := range c.Freezes {
		if ok[i] {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return c.Freezes[order[a]].Start.Before(c.Freezes[order[b]].Start) })
	for x, i := range order {
		for _, j := range order[:x] {
			a, b := c.Freezes[j], c.Freezes[i]
			sameScope := a.Tenant == b.Tenant || a.Tenant == runbooks.FreezeAll || b.Tenant == runbooks.FreezeAll
			if sameScope && b.Start.Before(a.End) {
				first, second := min(i, j), max(i, j)
				d.at(index("freezes", second)+".from", "overlaps freezes[%d] (%s, %s to %s); merge them or fix the dates",
					first, c.Freezes[first].Reason, c.Freezes[first].From, c.Freezes[first].Until)
			}
		}
	}
}

// engineFreezes converts the configured freezes for the engine.
func (c *Config) engineFreezes() []runbooks.Freeze {
	var out []runbooks.Freeze
	for _, f := range c.Freezes {
		out = append(out, runbooks.Freeze{Tenant: f.Tenant, From: f.Start, Until: f.End, Reason: f.Reason, Source: runbooks.FreezeConfig})
	}
	return out
}
