package sla

import (
	"context"
	"fmt"
	"time"
)

// Month is what the monthly posture report of a tenant is made from: the
// month's last snapshot, the last snapshot of each of the twelve months
// ending with it, and the exceptions open during the month.
type Month struct {
	Tenant string
	Month  time.Time // first day, UTC
	// Latest is the month's last snapshot (nil when no scan ran in it).
	Latest *Snapshot
	// Trend holds the last snapshot of each month, oldest first, for the
	// months that had one among the twelve ending with Month.
	Trend      []Snapshot
	Exceptions []Exception
	// Paged counts critical/KEV breaches paged during the month (audit).
	Paged int
}

// MonthReport gathers a tenant's month (YYYY-MM) from the stored history,
// exceptions and the SLA audit stream.
func (s *Service) MonthReport(ctx context.Context, tenant, month string) (Month, error) {
	if !s.known(tenant) {
		return Month{}, fmt.Errorf("there is no tenant %s", tenant)
	}
	m0, err := time.Parse("2006-01", month)
	if err != nil {
		return Month{}, fmt.Errorf("month %q: want YYYY-MM", month)
	}
	end := m0.AddDate(0, 1, 0).Add(-time.Nanosecond)
	hist, err := s.History(ctx, tenant, m0.AddDate(0, -11, 0), end)
	if err != nil {
		return Month{}, err
	}
	m := Month{Tenant: tenant, Month: m0}
	for _, snap := range hist {
		if n := len(m.Trend); n > 0 && m.Trend[n-1].Day[:7] == snap.Day[:7] {
			m.Trend[n-1] = snap
			continue
		}
		m.Trend = append(m.Trend, snap)
	}
	if n := len(m.Trend); n > 0 && m.Trend[n-1].Day[:7] == month {
		last := m.Trend[n-1]
		if latest, ok, err := readJSON[Snapshot](ctx, s.Store, latestPrefix+tenant); err == nil && ok && latest.Day == last.Day {
			last = *latest // the latest one keeps its item list
		}
		m.Latest = &last
	}
	xs, err := s.Exceptions(ctx, tenant)
	if err != nil {
		return Month{}, err
	}
	for _, x := range xs {
		closed := !x.ClosedAt.IsZero() && x.ClosedAt.Before(m0)
		if x.RequestedAt.After(end) || closed || x.Until.Before(m0) {
			continue
		}
		m.Exceptions = append(m.Exceptions, x)
	}
	evs, err := AuditEvents(ctx, s.Store, EventBreachPaged)
	if err != nil {
		return Month{}, err
	}
	for _, e := range evs {
		at, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(e["at"]))
		if l, ok := e["paged"].([]any); ok && e["tenant"] == tenant && !at.Before(m0) && !at.After(end) {
			m.Paged += len(l)
		}
	}
	return m, nil
}
