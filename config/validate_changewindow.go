package config

// The file is not called validate_windows.go: Go builds *_windows.go files
// only for GOOS=windows.

import (
	"slices"
	"sort"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// checkWindows parses every change window with the engine's own parser, so a
// window `config validate` accepts is one the engine can wait for: an unknown
// zone, a bad day or time, or a min_remaining no opening can satisfy are
// reported at the line that set them.
func (d *decoder) checkWindows(c *Config) {
	tiers := map[string]Tier{}
	for i, t := range c.Tiers {
		tiers[t.Env] = t
		p := index("pipeline", i)
		d.notNegative(p+".min_remaining", t.MinRemaining)
		if t.ApprovalTTL <= 0 {
			d.at(p+".approval_ttl", "must be positive; an approval request that never expires waits forever (omit it for %s)", runbooks.ForPeople(runbooks.DefaultApprovalTTL))
		}
		if t.Window == "" {
			if t.MinRemaining > 0 {
				d.at(p+".min_remaining", "needs a window: there is no time left to measure without one")
			}
			continue
		}
		if w, ok := d.window(p+".window", t.Window); ok {
			d.checkRemaining(p+".min_remaining", w, t.MinRemaining)
		}
	}
	for i, tn := range c.TenantList {
		envs := make([]string, 0, len(tn.Windows))
		for env := range tn.Windows {
			envs = append(envs, env)
		}
		sort.Strings(envs)
		for _, env := range envs {
			p := join(index("tenants", i)+".windows", env)
			t, ok := tiers[env]
			if !ok {
				d.at(p, "no pipeline tier %q", env)
				continue
			}
			if !slices.ContainsFunc(tn.Environments, func(e runbooks.Environment) bool { return e.Name == env }) {
				d.at(p, "tenant %q has no %s environment", tn.Name, env)
			}
			if w, ok := d.window(p, tn.Windows[env]); ok {
				d.checkRemaining(p, w, t.MinRemaining)
			}
		}
	}
}

func (d *decoder) window(field, spec string) (runbooks.Window, bool) {
	w, err := runbooks.ParseWindow(spec, time.UTC)
	if err != nil {
		d.at(field, "%v", err)
		return w, false
	}
	return w, true
}

// checkRemaining refuses a min_remaining at least as long as the window:
// no operation could ever start in it.
func (d *decoder) checkRemaining(field string, w runbooks.Window, least time.Duration) {
	if least <= 0 {
		return
	}
	s := w.NextOpen(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if s.End.Sub(s.Start) < least {
		d.at(field, "min_remaining %s is longer than the window %q (%s): nothing could ever start", runbooks.ForPeople(least), w.Spec, runbooks.ForPeople(s.End.Sub(s.Start)))
	}
}
