package sla

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// maxLines bounds each list in a posture text; the counts cover the rest.
const maxLines = 10

// RateText renders a rate of measured hosts, or says none was measured.
func RateText(c Counts) string {
	r, ok := c.Rate()
	if !ok {
		return "no host measured"
	}
	return fmt.Sprintf("%.1f%% within SLA (%d of %d measured hosts)", 100*r, c.Within+c.Due, c.Measured())
}

// CountsText is the one-line breakdown of host counts.
func CountsText(c Counts) string {
	return fmt.Sprintf("%s · due within 7 days %d · overdue %d · excepted %d · unmanaged %d", RateText(c), c.Due, c.Overdue, c.Excepted, c.Unmanaged)
}

// PCIText is PCI DSS 6.3.3 as measured: critical patches installed within
// one month of their release.
func PCIText(c Counts) string {
	r, ok := c.Rate()
	if !ok {
		return "PCI DSS 6.3.3 (critical patches within one month of release): no host measured"
	}
	return fmt.Sprintf("PCI DSS 6.3.3 (critical patches within one month of release): %.1f%% (%d of %d measured hosts; %d excepted, %d unmanaged not measured)",
		100*r, c.Within, c.Measured(), c.Excepted, c.Unmanaged)
}

// PostureText renders snapshots for `/patch posture` and the CLI.
func PostureText(snaps []Snapshot) string {
	if len(snaps) == 0 {
		return "No posture scan has run yet. Run `/patch posture scan` (or `patchgate sla scan`)."
	}
	var b strings.Builder
	for i, s := range snaps {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "*%s* — scanned %s\n%s\n%s\n", s.Tenant, s.At.UTC().Format("2006-01-02 15:04 UTC"), CountsText(s.Total), PCIText(s.PCI633))
		for _, env := range sortedEnvs(s.ByEnv) {
			fmt.Fprintf(&b, "• %s: %s\n", env, CountsText(s.ByEnv[env]))
		}
		for _, list := range []struct{ status, title string }{{Overdue, "Overdue"}, {Due, "Due within 7 days"}, {Excepted, "Excepted"}} {
			writeItems(&b, s, list.status, list.title)
		}
		if len(s.Errors) > 0 {
			fmt.Fprintf(&b, "Not scanned: %s\n", strings.Join(s.Errors, "; "))
		}
		if s.KEV != "" {
			fmt.Fprintf(&b, "KEV catalogue %s. ", s.KEV)
		}
		if len(s.Sources) > 0 {
			fmt.Fprintf(&b, "Sources: %s.\n", strings.Join(s.Sources, ", "))
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func writeItems(b *strings.Builder, s Snapshot, status, title string) {
	var lines []string
	n := 0
	for _, it := range s.Items {
		if it.Status != status {
			continue
		}
		n++
		if len(lines) < maxLines {
			lines = append(lines, "  – "+ItemLine(it))
		}
	}
	if n == 0 {
		return
	}
	fmt.Fprintf(b, "%s (%d):\n%s\n", title, n, strings.Join(lines, "\n"))
	if n > len(lines) {
		fmt.Fprintf(b, "  … and %d more\n", n-len(lines))
	}
}

// ItemLine is one item: host, patch, severity, KEV, deadline and why.
func ItemLine(it Item) string {
	kev := ""
	if it.KEV != "" {
		kev = " KEV " + it.KEV
	}
	s := fmt.Sprintf("%s: %s (%s%s) deadline %s, clock from %s %s", hostLabel(&it), it.PatchID, it.Severity, kev,
		it.Deadline.UTC().Format(time.DateOnly), it.StartSource, it.Start.UTC().Format(time.DateOnly))
	if it.Exception != "" {
		s += ", exception " + it.Exception
	}
	return s
}

// ExceptionLine is one exception with who accepted it and until when.
func ExceptionLine(x Exception) string {
	s := fmt.Sprintf("`%s` %s %s %s until %s — %s; control: %s; requested by %s", x.ID, x.Tenant, x.Scope, x.Target,
		x.Until.UTC().Format("2006-01-02 15:04 UTC"), x.Reason, x.Control, x.RequestedBy.Label())
	switch x.Status {
	case ExceptionApproved:
		s += "; accepted by " + x.AcceptedBy()
	case ExceptionPending:
		s += "; pending approval"
	default:
		s += "; " + x.Status
	}
	return s
}

func sortedEnvs(m map[string]Counts) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

func sortStrings(s []string) { sort.Strings(s) }
