package edr

import (
	"fmt"
	"sort"

	"github.com/patchgate/patchgate/runbooks"
)

// Gap kinds: what keeps a host from counting as covered.
const (
	GapMissing  = "missing"  // no registered sensor
	GapOutdated = "outdated" // below the tier's minimum or the update policy's target
	GapRFM      = "rfm"      // reduced-functionality mode
)

// Gap is one host that is not covered, why, and the fix.
type Gap struct {
	HostID   string `json:"host"`
	HostName string `json:"name,omitempty"`
	Kind     string `json:"kind"`
	Version  string `json:"version,omitempty"`
	Reason   string `json:"reason"`
	Fix      string `json:"fix"`
}

// Tier is what configuration expects of the sensors in one environment
// (pipeline tier); the zero value expects only a registered sensor.
type Tier struct {
	Env        string
	MinVersion string
	// HostGroup, PreventionPolicy and SensorUpdatePolicy are Falcon IDs;
	// empty: not checked.
	HostGroup          string
	PreventionPolicy   string
	SensorUpdatePolicy string
}

// EnvCoverage is the sensor coverage of one environment of a tenant.
type EnvCoverage struct {
	Tenant     string `json:"tenant"`
	Env        string `json:"env"`
	Hosts      int    `json:"hosts"`
	Covered    int    `json:"covered"` // registered, current, fully functional
	MinVersion string `json:"min_version,omitempty"`
	Gaps       []Gap  `json:"gaps,omitempty"`
	// Sources are the systems that listed the hosts and read the sensors;
	// Error says what could not be measured (then Gaps are not claimed).
	Sources []string `json:"sources,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// Count is how many gaps of kind there are.
func (c EnvCoverage) Count(kind string) int {
	n := 0
	for _, g := range c.Gaps {
		if g.Kind == kind {
			n++
		}
	}
	return n
}

// Evaluate judges each host's sensor: none registered, below the tier's
// minimum or its update policy's target, or in reduced-functionality mode.
// source names the system that read sensors.
func Evaluate(tenant string, tier Tier, hosts []runbooks.Host, sensors map[string]Sensor, source string) EnvCoverage {
	c := EnvCoverage{Tenant: tenant, Env: tier.Env, Hosts: len(hosts), MinVersion: tier.MinVersion}
	for _, h := range hosts {
		c.Sources = addSource(c.Sources, h.Source)
		if g, ok := hostGap(h, tier, sensors); ok {
			c.Gaps = append(c.Gaps, g)
			continue
		}
		c.Covered++
	}
	c.Sources = addSource(c.Sources, source)
	sort.SliceStable(c.Gaps, func(i, j int) bool { return c.Gaps[i].HostName < c.Gaps[j].HostName })
	return c
}

func hostGap(h runbooks.Host, tier Tier, sensors map[string]Sensor) (Gap, bool) {
	g := Gap{HostID: h.ID, HostName: h.Name}
	s, ok := sensors[h.ID]
	switch {
	case !ok:
		g.Kind, g.Reason = GapMissing, "no Falcon sensor registered for this host"
		g.Fix = "install the Falcon sensor with the tenant's CID and check it registers under the instance ID"
	case tier.MinVersion != "" && Older(s.Version, tier.MinVersion):
		g.Kind, g.Version = GapOutdated, s.Version
		g.Reason = fmt.Sprintf("sensor %s is below the %s minimum %s", s.Version, tier.Env, tier.MinVersion)
		g.Fix = fmt.Sprintf("upgrade the sensor to %s or later (raise its sensor-update policy's build)", tier.MinVersion)
	case s.TargetVersion != "" && Older(s.Version, s.TargetVersion):
		g.Kind, g.Version = GapOutdated, s.Version
		g.Reason = fmt.Sprintf("sensor %s is below %s, the target of its sensor-update policy %s", s.Version, s.TargetVersion, s.SensorUpdatePolicy)
		g.Fix = "check the host is online and its update is not blocked (disk, proxy, update protection), or upgrade it by hand"
	case s.RFM:
		g.Kind, g.Version = GapRFM, s.Version
		g.Reason = fmt.Sprintf("sensor %s is in reduced-functionality mode on kernel %s", s.Version, orUnknown(h.Kernel))
		g.Fix = "upgrade the sensor to a build that supports the running kernel, or boot a supported kernel"
	default:
		return Gap{}, false
	}
	return g, true
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// addSource adds src to a sorted set; "" is left out.
func addSource(set []string, src ...string) []string {
	for _, s := range src {
		found := false
		for _, have := range set {
			found = found || have == s
		}
		if s != "" && !found {
			set = append(set, s)
		}
	}
	sort.Strings(set)
	return set
}
