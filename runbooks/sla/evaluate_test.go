package sla

import (
	"os"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
)

func mustRead(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return b
}

func loadTestKEV(t *testing.T) *KEV {
	t.Helper()
	k, err := ParseKEV(mustRead("testdata/kev.json"), "testdata/kev.json")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestSLATableOfPatchesGivesCountsAndRate evaluates one patch per host
// against the default policy on 2026-12-06 and checks each item's status,
// the host counts and the compliance rate.
func TestSLATableOfPatchesGivesCountsAndRate(t *testing.T) {
	clock := testkit.NewClock(day("2026-12-06").Add(9 * time.Hour))
	kev := loadTestKEV(t)
	cases := []struct {
		host, severity, released string
		cves                     []string
		state                    string
		want                     string
	}{
		{"i-crit-old", runbooks.PatchCritical, "2026-10-01", nil, runbooks.PatchMissing, Overdue},        // 30 d passed on 10-31
		{"i-crit-new", runbooks.PatchCritical, "2026-11-20", nil, runbooks.PatchMissing, Within},         // due 12-20
		{"i-crit-due", runbooks.PatchCritical, "2026-11-10", nil, runbooks.PatchMissing, Due},            // due 12-10
		{"i-high-due", runbooks.PatchHigh, "2026-11-08", nil, runbooks.PatchFailed, Due},                 // due 12-08
		{"i-med", runbooks.PatchMedium, "2026-10-01", nil, runbooks.PatchMissing, Within},                // due 12-30
		{"i-low-old", runbooks.PatchLow, "2026-05-01", nil, runbooks.PatchPendingReboot, Overdue},        // due 10-28
		{"i-kev-old", runbooks.PatchMedium, "2026-11-01", []string{"CVE-2026-1001"}, "missing", Overdue}, // added 11-10 + 14 d = 11-24
		{"i-kev-new", runbooks.PatchLow, "2026-11-01", []string{"cve-2026-2002"}, "missing", Due},        // added 11-28 + 14 d = 12-12
		{"i-excepted", runbooks.PatchCritical, "2026-09-01", nil, runbooks.PatchMissing, Excepted},
		{"i-installed", runbooks.PatchCritical, "2026-01-01", nil, runbooks.PatchInstalled, ""},
	}
	var hosts []runbooks.Host
	var findings []runbooks.PatchFinding
	for _, c := range cases {
		hosts = append(hosts, runbooks.Host{ID: c.host, Env: "production", Managed: true})
		findings = append(findings, runbooks.PatchFinding{HostID: c.host, PatchID: "P-" + c.host, Severity: c.severity,
			Released: day(c.released), CVEs: c.cves, State: c.state, Source: "test"})
	}
	hosts = append(hosts, runbooks.Host{ID: "i-dark", Env: "production"})
	exc := []Exception{{ID: "x1", Tenant: "acme", Scope: ScopeHost, Target: "i-excepted", Until: day("2027-01-31"), Status: ExceptionApproved}}

	res := Evaluate(Input{Tenant: "acme", Now: clock.Now(), Deadlines: DefaultDeadlines(), KEV: kev, Exceptions: exc, Hosts: hosts, Findings: findings})

	got := map[string]string{}
	for _, it := range res.Items {
		got[it.HostID] = it.Status
	}
	for _, c := range cases {
		if got[c.host] != c.want {
			t.Errorf("%s (%s released %s, cves %v): status %q, want %q", c.host, c.severity, c.released, c.cves, got[c.host], c.want)
		}
	}
	want := Counts{Hosts: 11, Within: 3, Due: 3, Overdue: 3, Excepted: 1, Unmanaged: 1} // i-installed is within
	if res.Total != want || res.ByEnv["production"] != want {
		t.Errorf("counts %+v (by env %+v), want %+v", res.Total, res.ByEnv, want)
	}
	if r, ok := res.Total.Rate(); !ok || r != 6.0/9.0 {
		t.Errorf("rate %v (%v), want 6/9", r, ok)
	}
	// PCI DSS 6.3.3: only i-crit-old has a critical patch missing more
	// than a month after release; the excepted and unmanaged hosts are
	// not measured.
	if want := (Counts{Hosts: 11, Within: 8, Overdue: 1, Excepted: 1, Unmanaged: 1}); res.PCI633 != want {
		t.Errorf("PCI 6.3.3 counts %+v, want %+v", res.PCI633, want)
	}

	// A week later the due items are overdue and the exception still holds.
	clock.Advance(7 * Day)
	res = Evaluate(Input{Tenant: "acme", Now: clock.Now(), Deadlines: DefaultDeadlines(), KEV: kev, Exceptions: exc, Hosts: hosts, Findings: findings})
	if res.Total.Overdue != 6 || res.Total.Excepted != 1 {
		t.Errorf("a week later: %+v, want 6 overdue and 1 excepted", res.Total)
	}
}

func TestSLAKEVShortensOnlyWhenSooner(t *testing.T) {
	kev := loadTestKEV(t)
	now := day("2026-11-15")
	f := runbooks.PatchFinding{HostID: "h", PatchID: "p", Severity: runbooks.PatchCritical, Released: day("2026-11-01"),
		CVEs: []string{"CVE-2026-0000", "CVE-2026-1001"}, State: runbooks.PatchMissing}
	res := Evaluate(Input{Tenant: "t", Now: now, Deadlines: DefaultDeadlines(), KEV: kev, Findings: []runbooks.PatchFinding{f}})
	if it := res.Items[0]; !it.Deadline.Equal(day("2026-11-24")) || it.KEV != "CVE-2026-1001" || !it.Pages() == (it.Status == Overdue) {
		t.Errorf("KEV deadline %v kev %q, want 2026-11-24 from CVE-2026-1001", it.Deadline, it.KEV)
	}
	d := DefaultDeadlines()
	d.KEV = 60
	res = Evaluate(Input{Tenant: "t", Now: now, Deadlines: d, KEV: kev, Findings: []runbooks.PatchFinding{f}})
	if it := res.Items[0]; !it.Deadline.Equal(day("2026-12-01")) || it.KEV != "CVE-2026-1001" {
		t.Errorf("with a longer KEV deadline: %v kev %q, want the severity deadline 2026-12-01 and the KEV still named", it.Deadline, it.KEV)
	}
}

func TestSLAClockStartsAtFirstSeenWithoutReleaseDate(t *testing.T) {
	now := day("2026-12-06")
	f := runbooks.PatchFinding{HostID: "h", PatchID: "p", Severity: runbooks.PatchHigh, State: runbooks.PatchMissing}
	seen := func(host, patch string) time.Time { return day("2026-10-01") }
	res := Evaluate(Input{Tenant: "t", Now: now, Deadlines: DefaultDeadlines(), FirstSeen: seen,
		Hosts: []runbooks.Host{{ID: "h", Managed: true}}, Findings: []runbooks.PatchFinding{f}})
	it := res.Items[0]
	if it.StartSource != StartFirstSeen || !it.Start.Equal(day("2026-10-01")) || it.Status != Overdue {
		t.Errorf("item %+v, want started 2026-10-01 (first seen) and overdue", it)
	}
}

func TestSLAPolicyPerTenantOverride(t *testing.T) {
	p := Policy{Default: DefaultDeadlines(), Tenants: map[string]Deadlines{"strict": {Critical: 7, High: 14, Medium: 30, Low: 90, Unrated: 90, KEV: 7}}}
	if p.For("strict").Critical != 7 || p.For("other").Critical != 30 {
		t.Errorf("override not applied: %+v / %+v", p.For("strict"), p.For("other"))
	}
}

func TestSLAKEVCatalogueRejectsBadEntries(t *testing.T) {
	for name, doc := range map[string]string{
		"not json":  `{"vulnerabilities": [`,
		"no list":   `{"title": "x"}`,
		"bad cve":   `{"vulnerabilities": [{"cveID": "GHSA-1", "dateAdded": "2026-01-01"}]}`,
		"bad added": `{"vulnerabilities": [{"cveID": "CVE-2026-1", "dateAdded": "01/02/2026"}]}`,
	} {
		if _, err := ParseKEV([]byte(doc), name); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}
