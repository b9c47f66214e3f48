package reports

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks/sla"
)

// OutcomeRow is one management figure: its value for the tenant, over all
// tenants, and where in the audit log it was read.
type OutcomeRow struct {
	Figure, Tenant, All, Query string
}

// OutcomeRows are the month's figures for tenant beside those of every
// tenant. hosts is the tenant's last posture scan of the month (nil: none
// ran), the one figure read from the posture history, not the audit log.
func OutcomeRows(o *Outcomes, tenant string, hosts *sla.Snapshot) []OutcomeRow {
	t, all := o.For(tenant), &o.All
	window := o.From.Format(time.DateOnly) + " ≤ at < " + o.To.Format(time.DateOnly)
	rows := []OutcomeRow{
		{"cycles completed", fmt.Sprint(t.Cycles), fmt.Sprint(all.Cycles), "audit/cycle/*: cycle.completed, " + window},
		{"cycle lead time (median)", durText(median(t.Lead)), durText(median(all.Lead)), "audit/cycle/*: cycle.started → cycle.completed of those cycles"},
		{"of it waiting on people", shareText(t.PeopleWait, t.Lead), shareText(all.PeopleWait, all.Lead),
			"audit/cycle/*: stage.opened \"awaiting…\" → approval.complete, cycle.halted → cycle.resumed | stage.retry | stage.exclusions | cycle.rejected"},
		{"production patch runs", fmt.Sprint(t.ProdPatches), fmt.Sprint(all.ProdPatches), "audit/cycle/*: patch.done on a Production stage, " + window},
		{"post-patch incidents", fmt.Sprint(t.PostPatch), fmt.Sprint(all.PostPatch),
			"incident.triggered (audit/cycle/*, audit/rollback/*) and sla.breach.paged (audit/sla) within 7 days after one of those runs; pages other systems opened are not in the log"},
		{"rollbacks requested / completed", fmt.Sprintf("%d / %d", t.Rollbacks, t.RolledBack), fmt.Sprintf("%d / %d", all.Rollbacks, all.RolledBack), "audit/rollback/*: rollback.requested, rollback.completed, " + window},
		{"exceptions in force at month end", fmt.Sprint(t.ExcOpen), fmt.Sprint(all.ExcOpen), "audit/sla: sla.exception.approved (approved) not lapsed or rejected before " + o.To.Format(time.DateOnly)},
		{"exceptions expired", fmt.Sprint(t.ExcExpired), fmt.Sprint(all.ExcExpired), "audit/sla: sla.exception.lapsed, " + window},
		{"drift items opened / closed", fmt.Sprintf("%d / %d", t.DriftOpened, t.DriftClosed), fmt.Sprintf("%d / %d", all.DriftOpened, all.DriftClosed), "audit/drift: drift.detected, drift.resolved, " + window},
		{"SAML certificates renewed before / after expiry", "platform-wide", fmt.Sprintf("%d / %d", all.SAMLRenewed, all.SAMLRenewedLate), "audit/saml/*: resolved \"renewed…\" before / after the certificate's not_after, " + window},
	}
	within := "no posture scan this month"
	query := "sla/day/" + tenant + ": no snapshot in the month"
	if hosts != nil {
		within = fmt.Sprintf("%d of %d measured (%s)", hosts.Total.Within+hosts.Total.Due, hosts.Total.Measured(), slaRate(hosts.Total))
		query = "posture scan of " + hosts.Day + " (sla/day/" + tenant + "/" + hosts.Day + "), findings from " + strings.Join(hosts.Sources, ", ")
	}
	rows = append(rows, OutcomeRow{"hosts within patch SLA", within, "per tenant", query})
	return rows
}

func slaRate(c sla.Counts) string {
	r, ok := c.Rate()
	if !ok {
		return "no host measured"
	}
	return fmt.Sprintf("%.1f%%", 100*r)
}

func median(ds []time.Duration) (time.Duration, bool) {
	if len(ds) == 0 {
		return 0, false
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2, true
	}
	return s[len(s)/2], true
}

func durText(d time.Duration, ok bool) string {
	if !ok {
		return "no cycle"
	}
	d = d.Round(time.Minute)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	if days > 0 {
		return fmt.Sprintf("%dd %dh", days, d/time.Hour)
	}
	return fmt.Sprintf("%dh %02dm", d/time.Hour, (d%time.Hour)/time.Minute)
}

// shareText is the waits' total as a share of the leads' total.
func shareText(waits, leads []time.Duration) string {
	var w, l time.Duration
	for i := range leads {
		l += leads[i]
		w += waits[i]
	}
	if l == 0 {
		return "no cycle"
	}
	return fmt.Sprintf("%.0f%% (%s of %s)", 100*float64(w)/float64(l), durText(w, true), durText(l, true))
}

// OutcomesText renders the rows as plain text, for `patchgate report
// posture --month`.
func OutcomesText(month, tenant string, rows []OutcomeRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Outcomes %s, tenant %s (beside all tenants):\n", month, tenant)
	for _, r := range rows {
		fmt.Fprintf(&b, "  %s: %s (all tenants: %s)\n    query: %s\n", r.Figure, r.Tenant, r.All, r.Query)
	}
	return b.String()
}

// outcomeSection is the management figures of the month.
func outcomeSection(d *postureDoc) error {
	d.head("Outcomes for management")
	o := d.r.Outcomes
	if o == nil {
		d.text(9, "Not gathered: the outcome figures come from the audit log (patchgate report posture --month "+d.r.Month.Month.Format("2006-01")+").")
		return nil
	}
	d.text(8, "Each figure is read from the audit log of "+o.From.Format("January 2006")+" (UTC); the query column names the streams and events. Reproduce with: patchgate report posture --month "+o.From.Format("2006-01")+" --tenant "+d.r.Month.Tenant+".")
	out := OutcomeRows(o, d.r.Month.Tenant, d.r.Month.Latest)
	rows := [][]string{{"figure", d.r.Month.Tenant, "all tenants", "query"}}
	for i, r := range out {
		rows = append(rows, []string{r.Figure, r.Tenant, r.All, fmt.Sprintf("Q%d", i+1)})
	}
	grid(d.pdf, rows, []float64{80, 60, 40, 20})
	for i, r := range out {
		d.text(7, fmt.Sprintf("Q%d: %s", i+1, r.Query))
	}
	return nil
}
