package reports

import (
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// GateSource is where one gate result of the cycle came from, as the
// evidence JSON lists it beside the cycle.
type GateSource struct {
	Stage   string   `json:"stage"`
	Gate    string   `json:"gate"`
	At      string   `json:"at"`
	Passed  bool     `json:"passed"`
	Sources []string `json:"sources"` // empty: the gate was recorded without one
}

// gateSources lists every gate result of the cycle with its sources.
func gateSources(c *runbooks.Cycle) []GateSource {
	var out []GateSource
	for i := range c.Stages {
		s := &c.Stages[i]
		for _, g := range s.Gates {
			srcs := g.Sources
			if srcs == nil {
				srcs = []string{}
			}
			out = append(out, GateSource{Stage: s.Name, Gate: g.Name, At: ts(g.At), Sources: srcs, Passed: g.Passed})
		}
	}
	return out
}

// sources are every evidence source the bundle rests on: the gates', the
// hosts' (before and after), the access report's and the pager's.
func (b *Bundle) sources() []string {
	set := map[string]bool{}
	for i := range b.Cycle.Stages {
		for _, g := range b.Cycle.Stages[i].Gates {
			for _, s := range g.Sources {
				set[s] = true
			}
		}
	}
	for _, hs := range [][]runbooks.Host{b.Hosts, b.HostsBefore} {
		for i := range hs {
			if hs[i].Source != "" {
				set[hs[i].Source] = true
			}
		}
	}
	if a := b.Access; a != nil {
		for _, g := range a.Grants {
			if g.Source != "" {
				set[g.Source] = true
			}
		}
		for _, x := range a.Executors {
			if x.Source != "" {
				set[x.Source] = true
			}
		}
	}
	for _, e := range b.Events {
		if s := e.Data["source"]; s != "" {
			set[s] = true
		}
	}
	return sortedKeys(set)
}

// Simulated reports whether any part of the bundle was answered by the
// simulation; such a report is marked on every page and in its JSON.
func (b *Bundle) Simulated() bool { return runbooks.Simulated(b.sources()) }

// sourceNote is what an evidence line says about where it came from.
func sourceNote(sources []string) string {
	if len(sources) == 0 {
		return " (source not recorded)"
	}
	return " (source: " + strings.Join(sources, ", ") + ")"
}

// hostSourceList are the distinct sources of hosts.
func hostSourceList(hs []runbooks.Host) []string {
	set := map[string]bool{}
	for i := range hs {
		if hs[i].Source != "" {
			set[hs[i].Source] = true
		}
	}
	return sortedKeys(set)
}

// sensorMeasured are the hosts whose sensor state an EDR source reported,
// pointing into hs (a copy of each Host would be ~12 MB at 20,000 hosts).
func sensorMeasured(hs []runbooks.Host) []*runbooks.Host {
	var out []*runbooks.Host
	for i := range hs {
		if hs[i].SensorSource != "" {
			out = append(out, &hs[i])
		}
	}
	return out
}

// sensorSourceList are the distinct systems that measured hosts' sensors
// (hosts no EDR source reported add none).
func sensorSourceList(hs []runbooks.Host) []string {
	set := map[string]bool{}
	for i := range hs {
		if hs[i].SensorSource != "" {
			set[hs[i].SensorSource] = true
		}
	}
	return sortedKeys(set)
}
