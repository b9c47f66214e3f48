package sla

import "time"

// MaxListed bounds the items a latest snapshot lists (overdue first, then
// due, then excepted); the counts always cover all.
const MaxListed = 500

// Snapshot is one tenant's posture on one day, compact enough to keep 400
// of per tenant: counts by environment, overdue items by severity, the ages
// of open critical patches, and (in the latest one only) the items behind
// them.
type Snapshot struct {
	Tenant string            `json:"tenant"`
	Day    string            `json:"day"` // YYYY-MM-DD in UTC
	At     time.Time         `json:"at"`
	ByEnv  map[string]Counts `json:"by_env"`
	Total  Counts            `json:"total"`
	PCI633 Counts            `json:"pci_633"`
	// OverdueBySeverity counts overdue (not excepted) items.
	OverdueBySeverity map[string]int `json:"overdue_by_severity,omitempty"`
	// CriticalAges are the ages in days of open critical items, bucketed:
	// "0-7", "8-14", "15-30", "31-60", "61+".
	CriticalAges map[string]int `json:"critical_ages,omitempty"`
	// KEV names the catalogue version used ("" without one).
	KEV string `json:"kev,omitempty"`
	// Sources are the APIs the findings came from.
	Sources []string `json:"sources,omitempty"`
	// Items are the overdue, due and excepted items (latest only, at most
	// MaxListed); Listed is how many there were in all.
	Items  []Item `json:"items,omitempty"`
	Listed int    `json:"listed,omitempty"`
	// Errors are the environments that could not be read; their hosts are
	// not in the counts.
	Errors []string `json:"errors,omitempty"`
}

// AgeBuckets are the CriticalAges buckets in order.
var AgeBuckets = []string{"0-7", "8-14", "15-30", "31-60", "61+"}

func ageBucket(days int) string {
	switch {
	case days <= 7:
		return "0-7"
	case days <= 14:
		return "8-14"
	case days <= 30:
		return "15-30"
	case days <= 60:
		return "31-60"
	}
	return "61+"
}
