package edr

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// Validation checks, in the order a host is judged.
const (
	CheckRegistered   = "registered"
	CheckInstanceID   = "matched to instance ID"
	CheckHostGroup    = "host group"
	CheckPrevention   = "prevention policy"
	CheckSensorUpdate = "sensor-update policy"
	CheckVersion      = "version"
	CheckRFM          = "not in RFM"
)

// Failure is one check a host failed, what was found, what was expected
// and the fix.
type Failure struct {
	HostID   string `json:"host"`
	HostName string `json:"name,omitempty"`
	Check    string `json:"check"`
	Got      string `json:"got"`
	Want     string `json:"want"`
	Fix      string `json:"fix"`
}

// EnvValidation is the validation of one environment's hosts.
type EnvValidation struct {
	Tenant   string    `json:"tenant"`
	Env      string    `json:"env"`
	Hosts    int       `json:"hosts"`
	Passed   int       `json:"passed"`
	Failures []Failure `json:"failures,omitempty"`
	Sources  []string  `json:"sources,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// Validate checks each host against the tier: a sensor registered and
// matched by the cloud instance ID, in the expected host group, with the
// expected prevention and sensor-update policies, at or above the minimum
// version, not in reduced-functionality mode. A host lists every check it
// fails; one without a sensor fails only registration.
func Validate(tenant string, tier Tier, hosts []runbooks.Host, sensors map[string]Sensor, source string) EnvValidation {
	v := EnvValidation{Tenant: tenant, Env: tier.Env, Hosts: len(hosts)}
	for _, h := range hosts {
		v.Sources = addSource(v.Sources, h.Source)
		fs := hostFailures(h, tier, sensors)
		if len(fs) == 0 {
			v.Passed++
		}
		v.Failures = append(v.Failures, fs...)
	}
	v.Sources = addSource(v.Sources, source)
	sort.SliceStable(v.Failures, func(i, j int) bool { return v.Failures[i].HostName < v.Failures[j].HostName })
	return v
}

func hostFailures(h runbooks.Host, tier Tier, sensors map[string]Sensor) []Failure {
	s, ok := sensors[h.ID]
	fail := func(check, got, want, fix string) Failure {
		return Failure{HostID: h.ID, HostName: h.Name, Check: check, Got: got, Want: want, Fix: fix}
	}
	if !ok {
		return []Failure{fail(CheckRegistered, "no device", "a Falcon device for instance "+h.ID,
			"install the sensor with the tenant's CID (or start its service) and wait for it to register")}
	}
	var out []Failure
	if s.MatchedBy != "" && s.MatchedBy != "instance_id" {
		out = append(out, fail(CheckInstanceID, "matched by "+s.MatchedBy, "instance_id "+h.ID,
			"the sensor does not report the cloud instance ID: check the instance metadata service is reachable from the host and restart the sensor"))
	}
	if tier.HostGroup != "" && !slices.Contains(s.HostGroups, tier.HostGroup) {
		out = append(out, fail(CheckHostGroup, orNone(s.HostGroups...), tier.HostGroup,
			fmt.Sprintf("add the host to group %s (or fix the group's assignment rule, e.g. its tag or instance filter)", tier.HostGroup)))
	}
	if tier.PreventionPolicy != "" && s.PreventionPolicy != tier.PreventionPolicy {
		out = append(out, fail(CheckPrevention, orNone(s.PreventionPolicy), tier.PreventionPolicy,
			fmt.Sprintf("assign prevention policy %s to the host's group, or move the host to the group that has it", tier.PreventionPolicy)))
	}
	if tier.SensorUpdatePolicy != "" && s.SensorUpdatePolicy != tier.SensorUpdatePolicy {
		out = append(out, fail(CheckSensorUpdate, orNone(s.SensorUpdatePolicy), tier.SensorUpdatePolicy,
			fmt.Sprintf("assign sensor-update policy %s to the host's group, or move the host to the group that has it", tier.SensorUpdatePolicy)))
	}
	if tier.MinVersion != "" && Older(s.Version, tier.MinVersion) {
		out = append(out, fail(CheckVersion, orNone(s.Version), "≥ "+tier.MinVersion,
			fmt.Sprintf("upgrade the sensor to %s or later (raise its sensor-update policy's build)", tier.MinVersion)))
	}
	if s.RFM {
		out = append(out, fail(CheckRFM, "reduced-functionality mode on kernel "+orUnknown(h.Kernel), "full functionality",
			"upgrade the sensor to a build that supports the running kernel, or boot a supported kernel"))
	}
	return out
}

func orNone(vs ...string) string {
	var out []string
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}
