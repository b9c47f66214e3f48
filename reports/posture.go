package reports

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/daily"
	"github.com/patchgate/patchgate/state"
)

// PostureOf sums up the reports of cycles: per tenant, the latest report's
// rate and exceptions and the trend. The rates are those the reports
// computed when they were made (Report.Compliance, kept on the cycle
// record), not recomputed, so the digest agrees with the PDFs. Cycles
// without a report, or reported after now, are left out.
func PostureOf(cycles []*runbooks.Cycle, now time.Time) daily.Posture {
	byTenant := map[string][]*runbooks.Cycle{}
	expired := map[string]int{}
	for _, c := range cycles {
		if c != nil && c.Status == runbooks.StatusExpired && !c.Ended.After(now) {
			expired[c.Tenant]++
		}
		if c == nil || c.Report == nil || c.Report.Compliance == nil || c.Report.At.After(now) {
			continue
		}
		byTenant[c.Tenant] = append(byTenant[c.Tenant], c)
	}
	p := daily.Posture{At: now.UTC(), Mapping: MappingVersion}
	if len(expired) > 0 {
		p.Expired = expired
	}
	for tenant, cs := range byTenant {
		sort.Slice(cs, func(i, j int) bool {
			if !cs[i].Report.At.Equal(cs[j].Report.At) {
				return cs[i].Report.At.Before(cs[j].Report.At)
			}
			return cs[i].ID < cs[j].ID
		})
		last := cs[len(cs)-1]
		v := last.Report.Compliance
		tp := daily.TenantPosture{Tenant: tenant, LatestCycle: last.ID, ReportedAt: last.Report.At.UTC(),
			Passed: v.Passed, Applicable: v.Applicable, Rate: v.Rate,
			OpenExceptions: append([]string(nil), v.Exceptions...), Cycles: len(cs)}
		for _, c := range cs[max(0, len(cs)-daily.PostureTrend):] {
			tp.Trend = append(tp.Trend, c.Report.Compliance.Rate)
		}
		p.Tenants = append(p.Tenants, tp)
	}
	sort.Slice(p.Tenants, func(i, j int) bool { return p.Tenants[i].Tenant < p.Tenants[j].Tenant })
	return p
}

// PostureDigest reads the finished cycles from st and sums up their
// reports (see PostureOf); a scheduler job calls it for the digest.
func PostureDigest(ctx context.Context, st state.Store, now time.Time) (daily.Posture, error) {
	cycles, err := runbooks.FinishedCycles(ctx, st)
	if err != nil {
		return daily.Posture{}, fmt.Errorf("posture digest: %w", err)
	}
	return PostureOf(cycles, now), nil
}

// PostureText renders the posture as plain text, one tenant a line.
func PostureText(p daily.Posture) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Compliance posture at %s (control mapping %s)\n", ts(p.At), p.Mapping)
	if e := p.ExpiredText(); e != "" {
		fmt.Fprintf(&b, "Cycles closed because an approval expired: %s\n", e)
	}
	if len(p.Tenants) == 0 {
		b.WriteString("No finished cycle has a report yet.\n")
		return b.String()
	}
	for _, t := range p.Tenants {
		ex := "none"
		if len(t.OpenExceptions) > 0 {
			ex = strings.Join(t.OpenExceptions, ", ")
		}
		fmt.Fprintf(&b, "%s: %s (%d/%d criteria) in %s, reported %s; trend %s; open exceptions: %s\n",
			t.Tenant, daily.RateText(t.Rate), t.Passed, t.Applicable, t.LatestCycle, ts(t.ReportedAt), t.TrendText(), ex)
	}
	return b.String()
}
