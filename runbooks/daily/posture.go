package daily

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// PostureTrend is how many of a tenant's latest reports the trend shows.
const PostureTrend = 5

// Posture is the compliance posture across tenants at one time: the
// posture digest's content.
type Posture struct {
	At      time.Time
	Mapping string          // the control mapping version the rates were computed with
	Tenants []TenantPosture // by tenant name
	// Expired counts, by tenant, the finished cycles that closed because
	// an approval was not given within its tier's approval_ttl.
	Expired map[string]int
}

// ExpiredText is "acme-cu 2, bayview-cu 1" (tenants sorted), or "" for none.
func (p Posture) ExpiredText() string {
	names := make([]string, 0, len(p.Expired))
	for t := range p.Expired {
		names = append(names, t)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, t := range names {
		parts = append(parts, fmt.Sprintf("%s %d", t, p.Expired[t]))
	}
	return strings.Join(parts, ", ")
}

// TenantPosture is one tenant's latest verdict and how it got there.
type TenantPosture struct {
	Tenant      string
	LatestCycle string
	ReportedAt  time.Time
	Passed      int
	Applicable  int
	Rate        float64
	// Trend is the rate of the last PostureTrend reports, oldest first,
	// ending with the latest.
	Trend []float64
	// OpenExceptions are the criteria the latest report found exceptions
	// in; they stay open until a later cycle's report passes them.
	OpenExceptions []string
	Cycles         int // finished cycles with a report
}

// TrendText renders the trend as "92% → 95% → 97%".
func (t TenantPosture) TrendText() string {
	parts := make([]string, len(t.Trend))
	for i, r := range t.Trend {
		parts[i] = RateText(r)
	}
	return strings.Join(parts, " → ")
}

// RateText renders a rate as a percentage, with a decimal only when needed.
func RateText(r float64) string {
	p := 100 * r
	if p == float64(int(p)) {
		return fmt.Sprintf("%d%%", int(p))
	}
	return fmt.Sprintf("%.1f%%", p)
}
