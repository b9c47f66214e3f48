package sim

import (
	"context"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// MethodPatchFindings counts PatchFindings calls.
const MethodPatchFindings = "PatchFindings"

var _ runbooks.PatchFindingsEach = (*Fleet)(nil)

// advisory is a simulated vendor patch: its severity, CVEs and age in days
// at the fleet's anchor day.
type advisory struct {
	id, title, severity string
	cves                []string
	age                 int
	// every: only one host in this many lacks it (0: every host), so the
	// demo has a few hosts due soon and a couple overdue.
	every uint64
	// held: the patch baseline holds it back (an application pins the
	// package, or the kernel waits for a maintenance reboot), so a cycle's
	// install leaves it missing and the posture after the cycles still
	// shows it.
	held bool
}

// The advisories: due-soon critical and high ones on every host, KEV
// ones among them (the kernel's KEV deadline only days away on a few
// hosts), and a long-overdue medium one on a couple of hosts. No KEV or
// critical deadline has passed, so a demo scan pages no one; the posture
// tests cover the pages.
var advisories = []advisory{
	{id: "SIM-2026-0101", title: "openssl security update", severity: runbooks.PatchCritical, cves: []string{SimKEVCVEs[0]}, age: 4},
	{id: "SIM-2026-0102", title: "glibc security update", severity: runbooks.PatchHigh, cves: []string{"CVE-2026-31102"}, age: 25, every: 6},
	{id: "SIM-2026-0103", title: "sudo security update", severity: runbooks.PatchHigh, cves: []string{"CVE-2026-31103"}, age: 12},
	{id: "SIM-2026-0104", title: "curl security update", severity: runbooks.PatchMedium, cves: []string{"CVE-2026-31104"}, age: 40},
	{id: "SIM-2026-0105", title: "tzdata enhancement update", severity: runbooks.PatchLow, age: 30},
	{id: "SIM-2026-0106", title: "systemd bug fix update", severity: runbooks.PatchUnrated, age: 20},
	{id: "SIM-2026-0090", title: "kernel security update", severity: runbooks.PatchCritical, cves: []string{SimKEVCVEs[1]}, age: 10, every: 23, held: true},
	{id: "SIM-2026-0050", title: "libxml2 security update", severity: runbooks.PatchMedium, cves: []string{"CVE-2026-30050"}, age: 120, every: 23, held: true},
}

// SimKEVCVEs are the simulated advisories' CVEs that KEVCatalogue lists.
var SimKEVCVEs = []string{"CVE-2026-31101", "CVE-2026-30090"}

// PatchFindings lists each managed host's pending patches as the clouds'
// patch agents would: the held-back advisories it lacks, then
// PendingPatches more drawn from the other advisories (release dates
// counted back from the fleet's anchor day), then numbered low-severity
// package updates.
func (f *Fleet) PatchFindings(ctx context.Context, hosts []runbooks.Host) ([]runbooks.PatchFinding, error) {
	var out []runbooks.PatchFinding
	err := f.EachPatchFindings(ctx, hosts, func(fs []runbooks.PatchFinding) error { out = append(out, fs...); return nil })
	return out, err
}

// EachPatchFindings is PatchFindings host by host: one counted call, then
// each host's findings made as they are handed over (outside the fleet's
// lock, so each may call the fleet).
func (f *Fleet) EachPatchFindings(ctx context.Context, hosts []runbooks.Host, each func([]runbooks.PatchFinding) error) error {
	var lacking []runbooks.Host
	err := f.call(ctx, MethodPatchFindings, func(int) error {
		now := f.now()
		for _, want := range hosts {
			i, ok := f.w.byID[want.ID]
			if !ok {
				continue
			}
			if h := f.view(i, now); h.Managed && (h.PendingPatches > 0 || len(heldFor(h.ID)) > 0) {
				lacking = append(lacking, h)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, h := range lacking {
		if err := each(f.hostFindings(h)); err != nil {
			return err
		}
	}
	return nil
}

func (f *Fleet) hostFindings(h runbooks.Host) []runbooks.PatchFinding {
	var out []runbooks.PatchFinding
	add := func(a advisory) {
		out = append(out, runbooks.PatchFinding{HostID: h.ID, HostName: h.Name, Env: h.Env, PatchID: a.id, Title: a.title,
			Severity: a.severity, VendorSeverity: a.severity, Classification: "Security", CVEs: a.cves,
			Released: f.anchor.Add(-time.Duration(a.age) * 24 * time.Hour), State: runbooks.PatchMissing, Source: runbooks.SourceSimulation})
	}
	for _, a := range heldFor(h.ID) {
		add(a)
	}
	pending := 0
	for _, a := range advisories {
		if pending == h.PendingPatches {
			return out
		}
		if !a.held && lacks(h.ID, a) {
			add(a)
			pending++
		}
	}
	for n := 1; pending < h.PendingPatches; n++ {
		add(advisory{id: fmt.Sprintf("SIM-PKG-%03d", n), title: "package update", severity: runbooks.PatchLow, age: 10 + n%50})
		pending++
	}
	return out
}

// heldFor are the held-back advisories host id lacks, patched or not.
func heldFor(id string) []advisory {
	var out []advisory
	for _, a := range advisories {
		if a.held && lacks(id, a) {
			out = append(out, a)
		}
	}
	return out
}

func lacks(id string, a advisory) bool {
	return a.every == 0 || hashOf(id, fmt.Sprint(a.every))%a.every == 0
}

// KEVCatalogue is a KEV catalogue in CISA's JSON format listing the
// simulated KEV CVEs, added to the catalogue a few days before the anchor
// day, for the demo's sla.kev_catalogue.
func (f *Fleet) KEVCatalogue() []byte {
	added := func(days int) string {
		return f.anchor.Add(-time.Duration(days) * 24 * time.Hour).Format(time.DateOnly)
	}
	return []byte(fmt.Sprintf(`{"title": "CISA Catalog of Known Exploited Vulnerabilities (simulated)", "catalogVersion": "sim", "dateReleased": %q, "count": 2,
 "vulnerabilities": [
  {"cveID": %q, "vendorProject": "OpenSSL", "product": "OpenSSL", "vulnerabilityName": "Simulated OpenSSL flaw", "dateAdded": %q, "shortDescription": "simulated", "requiredAction": "Apply updates per vendor instructions.", "dueDate": %q, "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": []},
  {"cveID": %q, "vendorProject": "Linux", "product": "Kernel", "vulnerabilityName": "Simulated kernel flaw", "dateAdded": %q, "shortDescription": "simulated", "requiredAction": "Apply updates per vendor instructions.", "dueDate": %q, "knownRansomwareCampaignUse": "Known", "notes": "", "cwes": []}
 ]}`, f.anchor.Format(time.RFC3339), SimKEVCVEs[0], added(3), added(-11), SimKEVCVEs[1], added(30), added(16)))
}
