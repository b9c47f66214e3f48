package runbooks

import (
	"slices"
	"sort"
)

// Evidence sources: which system answered a gate, listed a host or reported
// access. A report shows them beside every result, and any answer from
// SourceSimulation marks the whole report as not audit evidence.
const (
	SourceFalcon      = "falcon"
	SourceDynatrace   = "dynatrace"
	SourcePagerDuty   = "pagerduty"
	SourceAWSSSM      = "aws-ssm"
	SourceAzureArc    = "azure-arc"
	SourceAzureVM     = "azure-vm"
	SourceGCPOSConfig = "gcp-osconfig"
	SourceSimulation  = "simulation"
)

// SimulatedMarking is printed on every page and in the evidence bundle of a
// report any part of which the simulation answered.
const SimulatedMarking = "SIMULATED — not audit evidence"

// Sourced is implemented by a provider that answers a whole port from one
// source (Falcon for sensors, Dynatrace for health, the simulation). A
// decorator (metrics) forwards it.
type Sourced interface {
	EvidenceSource() string
}

// SourceOf is the evidence source of a provider, or "" when it does not say
// (a router whose answers carry per-host sources).
func SourceOf(impl any) string {
	if s, ok := impl.(Sourced); ok {
		return s.EvidenceSource()
	}
	return ""
}

// hostSources are the distinct sources of hosts, sorted.
func hostSources(hosts []Host) []string {
	var out []string
	for _, h := range hosts {
		out = addSource(out, h.Source)
	}
	return out
}

// addSource adds src to a sorted set of sources; "" is left out.
func addSource(set []string, src ...string) []string {
	for _, s := range src {
		if s != "" && !slices.Contains(set, s) {
			set = append(set, s)
		}
	}
	sort.Strings(set)
	return set
}

// sourceFindings names src on every finding that does not name its own.
func sourceFindings(fs []Finding, src string) []Finding {
	for i := range fs {
		if fs[i].Source == "" {
			fs[i].Source = src
		}
	}
	return fs
}

// sourceFindingsByHost names on every finding without a source the source
// of the host it is about.
func sourceFindingsByHost(fs []Finding, hosts []Host) []Finding {
	by := make(map[string]string, len(hosts))
	for _, h := range hosts {
		by[h.ID] = h.Source
	}
	for i := range fs {
		if fs[i].Source == "" {
			fs[i].Source = by[fs[i].HostID]
		}
	}
	return fs
}

// Simulated reports whether any source in sources is the simulation.
func Simulated(sources []string) bool { return slices.Contains(sources, SourceSimulation) }
