package sim

import "maps"

// Stats counts what the fleet was asked to do, so a test can prove each
// operation was sent exactly once and each incident opened once. Counters of
// mutating calls are persisted with the call; counters of reads are persisted
// with the next mutation.
type Stats struct {
	// Calls counts every call by method (MethodHosts, …), failed ones too.
	Calls map[string]int `json:"calls"`
	// InjectedErrors counts the calls a fault failed, by method.
	InjectedErrors map[string]int `json:"injected_errors"`

	InventoryCalls int `json:"inventory_calls"` // successful Hosts calls
	InventoryPages int `json:"inventory_pages"` // cloud list pages they took

	Backups OpStats `json:"backups"`
	Patches OpStats `json:"patches"`

	PageTriggers    int `json:"page_triggers"` // raw pager calls
	PageAcks        int `json:"page_acks"`
	PageResolves    int `json:"page_resolves"`
	IncidentsOpened int `json:"incidents_opened"` // distinct incidents
	// Incidents is the state of each dedup key.
	Incidents map[string]IncidentState `json:"incidents"`

	HostFixes int `json:"host_fixes"` // hosts repaired by FixHost
}

// OpStats counts the backups or the patches started.
type OpStats struct {
	Starts  int            `json:"starts"`
	ByScope map[string]int `json:"by_scope"` // "tenant/env" → starts
	ByTag   map[string]int `json:"by_tag"`   // request tag → starts
	// Duplicates counts starts for a tag that already had an operation:
	// zero when every request was sent exactly once.
	Duplicates int `json:"duplicates"`
	// Found counts Find calls that returned an earlier operation.
	Found int `json:"found"`
}

// Incident states, as PagerDuty names them.
const (
	IncidentTriggered    = "triggered"
	IncidentAcknowledged = "acknowledged"
	IncidentResolved     = "resolved"
)

// IncidentState is what the pager holds for one dedup key.
type IncidentState struct {
	Status   string            `json:"status"`
	Summary  string            `json:"summary,omitempty"`
	Severity string            `json:"severity,omitempty"`
	Details  map[string]string `json:"details,omitempty"`
	Triggers int               `json:"triggers"` // Trigger calls with this key
	Acks     int               `json:"acks"`
	Resolves int               `json:"resolves"`
	// Opened counts incidents opened under the key: a trigger after a
	// resolve opens a new one, as in PagerDuty.
	Opened int `json:"opened"`
}

func (s *OpStats) started(op *operation) {
	s.Starts++
	s.ByScope[op.Tenant+"/"+op.Env]++
	s.ByTag[op.Tag]++
	if s.ByTag[op.Tag] > 1 {
		s.Duplicates++
	}
}

func (f *Fleet) opStats(kind string) *OpStats {
	if kind == kindBackup {
		return &f.st.Stats.Backups
	}
	return &f.st.Stats.Patches
}

// Stats returns a copy of the counters.
func (f *Fleet) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.st.Stats
	s.Calls = maps.Clone(s.Calls)
	s.InjectedErrors = maps.Clone(s.InjectedErrors)
	s.Backups = s.Backups.clone()
	s.Patches = s.Patches.clone()
	s.Incidents = make(map[string]IncidentState, len(f.st.Stats.Incidents))
	for k, v := range f.st.Stats.Incidents {
		v.Details = maps.Clone(v.Details)
		s.Incidents[k] = v
	}
	return s
}

func (s OpStats) clone() OpStats {
	s.ByScope, s.ByTag = maps.Clone(s.ByScope), maps.Clone(s.ByTag)
	return s
}

// init makes every map of a fresh or decoded Stats usable.
func (s *Stats) init() {
	for _, m := range []*map[string]int{&s.Calls, &s.InjectedErrors,
		&s.Backups.ByScope, &s.Backups.ByTag, &s.Patches.ByScope, &s.Patches.ByTag} {
		if *m == nil {
			*m = map[string]int{}
		}
	}
	if s.Incidents == nil {
		s.Incidents = map[string]IncidentState{}
	}
}
