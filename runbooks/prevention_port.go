package runbooks

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// PreventionConsole is the EDR console a prevention rollout acts on
// (providers/falcon implements it with gofalcon).
type PreventionConsole interface {
	// Exclusions lists the console's machine-learning and IOA exclusions.
	Exclusions(ctx context.Context) ([]EDRExclusion, error)
	// AssignHostGroup adds group to policy to and removes it from policy
	// from; it reads both first, so a repeated call changes nothing.
	AssignHostGroup(ctx context.Context, group, to, from string) (PolicyMove, error)
	// Detections counts the detections (alerts) on the group's hosts
	// since the given time, by severity.
	Detections(ctx context.Context, group string, since time.Time) (DetectionCounts, error)
	EvidenceSource() string
}

// EDRExclusion is one exclusion as the console keeps it.
type EDRExclusion struct {
	ID   string `json:"id"`
	Kind string `json:"kind"` // ExclusionML or ExclusionIOA
	Name string `json:"name"`
	// Patterns are what it matches: an ML exclusion's path glob, an IOA
	// exclusion's image-filename and command-line regexes.
	Patterns []string `json:"patterns"`
	Global   bool     `json:"global"`
	Groups   []string `json:"groups,omitempty"` // host group IDs
}

// Exclusion kinds.
const (
	ExclusionML  = "ml"
	ExclusionIOA = "ioa"
)

// RequiredExclusion is an exclusion a tier needs before prevention: one
// of Kind whose pattern contains Match (case-insensitive), global or
// applied to the tier's host group.
type RequiredExclusion struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Match string `json:"match"`
}

// DefaultRequiredExclusions are the cloud agents' own processes, which
// behavioural analytics flags once prevention is on.
func DefaultRequiredExclusions(clouds ...Cloud) []RequiredExclusion {
	var out []RequiredExclusion
	for _, c := range clouds {
		switch c {
		case AWS:
			out = append(out, RequiredExclusion{"AWS SSM agent (ML)", ExclusionML, "amazon-ssm-agent"},
				RequiredExclusion{"AWS SSM agent (IOA)", ExclusionIOA, "ssm-agent-worker"})
		case Azure:
			out = append(out, RequiredExclusion{"Azure VM agent (ML)", ExclusionML, "waagent"},
				RequiredExclusion{"Azure VM agent (IOA)", ExclusionIOA, "waagent"})
		case GCP:
			out = append(out, RequiredExclusion{"GCP guest agent (ML)", ExclusionML, "google_guest_agent"},
				RequiredExclusion{"GCP OS Config agent (IOA)", ExclusionIOA, "google_osconfig_agent"})
		}
	}
	return out
}

// PreventionTier is one tier's rollout settings.
type PreventionTier struct {
	Tenant           string              `json:"tenant,omitempty"` // empty: every tenant
	Env              string              `json:"env"`
	HostGroup        string              `json:"host_group"`
	PreventionPolicy string              `json:"prevention_policy"`
	DetectionPolicy  string              `json:"detection_policy"`
	Window           time.Duration       `json:"window"`
	CheckEvery       time.Duration       `json:"check_every"`
	Exclusions       []RequiredExclusion `json:"exclusions,omitempty"`
	Thresholds       DetectionThresholds `json:"thresholds"`
}

// DetectionThresholds fail the gate: more than MaxTotal detections of any
// severity, or more than MaxAtSeverity at Severity or above.
type DetectionThresholds struct {
	MaxTotal      int    `json:"max_total"`
	Severity      string `json:"severity"`
	MaxAtSeverity int    `json:"max_at_severity"`
}

// Defaults of the prevention rollout (config starts from them).
const (
	DefaultPreventionWindow = 14 * 24 * time.Hour
	DefaultPreventionCheck  = 24 * time.Hour
)

// Severities in rising order, as Falcon names them.
var Severities = []string{"informational", "low", "medium", "high", "critical"}

// SeverityRank orders a severity name; -1 when unknown.
func SeverityRank(s string) int { return slices.Index(Severities, strings.ToLower(s)) }

// PreventionSettings are every tier's rollout settings.
type PreventionSettings struct {
	Tiers []PreventionTier
}

// tier returns the settings for a tenant's tier: the tenant's own entry,
// else the entry for every tenant.
func (s PreventionSettings) tier(tenant, env string) (PreventionTier, bool) {
	var any *PreventionTier
	for i, t := range s.Tiers {
		if t.Env != env {
			continue
		}
		if t.Tenant == tenant {
			return t, true
		}
		if t.Tenant == "" {
			any = &s.Tiers[i]
		}
	}
	if any == nil {
		return PreventionTier{}, false
	}
	return *any, true
}

// Counts is detections by severity.
type Counts map[string]int

func (c Counts) clone() Counts { return maps.Clone(c) }

// Total is every detection.
func (c Counts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// AtOrAbove is the detections of severity sev or worse.
func (c Counts) AtOrAbove(sev string) int {
	r, n := SeverityRank(sev), 0
	for s, v := range c {
		if SeverityRank(s) >= r {
			n += v
		}
	}
	return n
}

// String lists the counts from the worst severity down.
func (c Counts) String() string {
	var parts []string
	for i := len(Severities) - 1; i >= 0; i-- {
		if n := c[Severities[i]]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, Severities[i]))
		}
	}
	if len(parts) == 0 {
		return "no detections"
	}
	return fmt.Sprintf("%d detection(s): %s", c.Total(), strings.Join(parts, ", "))
}

// DetectionCounts is one read of the detections on a tier's hosts.
type DetectionCounts struct {
	Counts Counts    `json:"counts"`
	Hosts  int       `json:"hosts"` // hosts in the group when read
	Since  time.Time `json:"since"`
	At     time.Time `json:"at"`
	Source string    `json:"source"`
}

func (d DetectionCounts) clone() DetectionCounts { d.Counts = d.Counts.clone(); return d }

// DetectionGate is the monitoring window's verdict.
type DetectionGate struct {
	DetectionCounts
	Passed bool   `json:"passed"`
	Reason string `json:"reason"`
}

// judgeDetections applies the thresholds to counts.
func judgeDetections(d DetectionCounts, th DetectionThresholds) DetectionGate {
	g := DetectionGate{DetectionCounts: d.clone(), Passed: true}
	var why []string
	if tot := d.Counts.Total(); tot > th.MaxTotal {
		why = append(why, fmt.Sprintf("%d detection(s), more than the %d allowed", tot, th.MaxTotal))
	}
	if th.Severity != "" {
		if n := d.Counts.AtOrAbove(th.Severity); n > th.MaxAtSeverity {
			why = append(why, fmt.Sprintf("%d at %s or above, more than the %d allowed", n, th.Severity, th.MaxAtSeverity))
		}
	}
	if len(why) > 0 {
		g.Passed, g.Reason = false, strings.Join(why, "; ")+" ("+d.Counts.String()+")"
		return g
	}
	g.Reason = fmt.Sprintf("%s on %d host(s), within the thresholds", d.Counts.String(), d.Hosts)
	return g
}

// missingExclusions lists the required exclusions the console lacks for
// group, and the console exclusions that satisfy the others.
func missingExclusions(req []RequiredExclusion, have []EDRExclusion, group string) (missing, found []string) {
	for _, r := range req {
		id := ""
		for _, x := range have {
			if x.Kind == r.Kind && (x.Global || slices.Contains(x.Groups, group)) && matchesAny(x.Patterns, r.Match) {
				id = x.ID
				break
			}
		}
		if id == "" {
			missing = append(missing, r.Name)
			continue
		}
		found = append(found, r.Name+" = "+id)
	}
	return missing, found
}

func matchesAny(patterns []string, match string) bool {
	m := strings.ToLower(match)
	for _, p := range patterns {
		if strings.Contains(strings.ToLower(p), m) {
			return true
		}
	}
	return false
}

// PolicyMove is what AssignHostGroup changed (false: already so).
type PolicyMove struct {
	Added   bool   `json:"added"`
	Removed bool   `json:"removed"`
	Source  string `json:"source"`
}
