package reports

import (
	"fmt"
	"sort"

	"github.com/patchgate/patchgate/runbooks"
)

// pci52Rows are PCI DSS v4.0 5.2.1's rows (anti-malware deployed on all
// system components) inside the 5.x control: per environment, how many
// of the hosts an EDR source measured have a sensor deployed, and as an
// exception how many no source reported, never counted as deployed.
// Hosts without a sensor are already named by 5.x's own exceptions, so
// the verdict is 5.x's.
func pci52Rows(hosts []runbooks.Host) (ev, ex []string) {
	type envCount struct{ hosts, measured, deployed int }
	by := map[string]*envCount{}
	for _, h := range hosts {
		c := by[h.Env]
		if c == nil {
			c = &envCount{}
			by[h.Env] = c
		}
		c.hosts++
		if h.SensorSource == "" {
			continue
		}
		c.measured++
		if h.HasSensor {
			c.deployed++
		}
	}
	envs := make([]string, 0, len(by))
	for env := range by {
		envs = append(envs, env)
	}
	sort.Strings(envs)
	for _, env := range envs {
		c := by[env]
		if c.measured > 0 {
			ev = append(ev, fmt.Sprintf("PCI DSS 5.2 %s: anti-malware deployed on %d/%d measured hosts (%s)", env, c.deployed, c.measured, pct(c.deployed, c.measured)))
		}
		if n := c.hosts - c.measured; n > 0 {
			ex = append(ex, fmt.Sprintf("PCI DSS 5.2 %s: deployment not measured on %d/%d hosts: no EDR source reported them", env, n, c.hosts))
		}
	}
	return ev, ex
}
