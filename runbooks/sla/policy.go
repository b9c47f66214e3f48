package sla

import (
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// Day is the unit SLA deadlines are counted in.
const Day = 24 * time.Hour

// DueSoon is how close to its deadline an item counts as due.
const DueSoon = 7 * Day

// Deadlines are the days from release a patch of each severity may stay
// missing, and the days a CVE in the KEV catalogue gets from the later of
// its release and the day CISA added it.
type Deadlines struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	// Unrated applies to patches whose vendor gave no severity.
	Unrated int `json:"unrated"`
	KEV     int `json:"kev"`
}

// DefaultDeadlines: critical and high 30 days (PCI DSS 6.3.3's "within one
// month of release" for critical), medium 90, low and unrated 180, KEV 14
// (CISA BOD 22-01's two weeks).
func DefaultDeadlines() Deadlines {
	return Deadlines{Critical: 30, High: 30, Medium: 90, Low: 180, Unrated: 180, KEV: 14}
}

// Days returns the deadline in days for a normalised severity.
func (d Deadlines) Days(severity string) int {
	switch severity {
	case runbooks.PatchCritical:
		return d.Critical
	case runbooks.PatchHigh:
		return d.High
	case runbooks.PatchMedium:
		return d.Medium
	case runbooks.PatchLow:
		return d.Low
	}
	return d.Unrated
}

// Policy is the SLA policy: default deadlines and per-tenant overrides.
type Policy struct {
	Default Deadlines
	// Tenants overrides whole deadline sets by tenant name; config fills
	// unset fields of an override from Default.
	Tenants map[string]Deadlines
}

// For returns the deadlines that apply to tenant.
func (p Policy) For(tenant string) Deadlines {
	if d, ok := p.Tenants[tenant]; ok {
		return d
	}
	return p.Default
}
