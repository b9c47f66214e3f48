package gcp

import (
	"context"
	"fmt"
	"sort"
	"strings"

	osconfig "google.golang.org/api/osconfig/v1"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.PatchFindingsEach = (*Provider)(nil)

// PatchFindings reads the OS Config vulnerability reports of each zone the
// managed GCP hosts are in (instances/-, paged, within the provider's
// quota) and lists, per host, each vulnerability a package update fixes
// (availableInventoryItemIds not empty): its CVE, the feed's severity and
// the package. The reports carry no vendor release date, so the SLA clock
// starts when patchgate first sees the patch missing; vulnerabilities with
// no fix available are not missing patches and are left out.
func (p *Provider) PatchFindings(ctx context.Context, hosts []runbooks.Host) ([]runbooks.PatchFinding, error) {
	var out []runbooks.PatchFinding
	err := p.EachPatchFindings(ctx, hosts, func(fs []runbooks.PatchFinding) error { out = append(out, fs...); return nil })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EachPatchFindings is PatchFindings page by page: a page's reports (one
// per instance, so every finding of its hosts) are handed to each as it
// arrives.
func (p *Provider) EachPatchFindings(ctx context.Context, hosts []runbooks.Host, each func([]runbooks.PatchFinding) error) error {
	byZone := map[[2]string]map[string]runbooks.Host{}
	for _, h := range hosts {
		if h.Cloud != runbooks.GCP || !h.Managed {
			continue
		}
		k := [2]string{h.Account, h.Region}
		if byZone[k] == nil {
			byZone[k] = map[string]runbooks.Host{}
		}
		byZone[k][h.ID] = h
	}
	keys := make([][2]string, 0, len(byZone))
	for k := range byZone {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+"/"+keys[i][1] < keys[j][0]+"/"+keys[j][1] })
	for _, k := range keys {
		if err := p.zoneFindings(ctx, k[0], k[1], byZone[k], each); err != nil {
			return err
		}
	}
	return nil
}

func (p *Provider) zoneFindings(ctx context.Context, project, zone string, hosts map[string]runbooks.Host, each func([]runbooks.PatchFinding) error) error {
	parent := fmt.Sprintf("projects/%s/locations/%s/instances/-", project, zone)
	var stop error // each's error: returned as is
	err := p.osconfig.Projects.Locations.Instances.VulnerabilityReports.List(parent).PageSize(100).
		Pages(ctx, guarded(p, "osconfig vulnerabilityReports.list of "+parent, func(l *osconfig.ListVulnerabilityReportsResponse) string { return l.NextPageToken },
			func(page *osconfig.ListVulnerabilityReportsResponse) error {
				var out []runbooks.PatchFinding
				for _, rep := range page.VulnerabilityReports {
					h, ok := hosts[instanceIDOf(rep.Name)]
					if !ok {
						continue
					}
					for _, v := range rep.Vulnerabilities {
						if f, ok := vulnFinding(h, v); ok {
							out = append(out, f)
						}
					}
				}
				if len(out) > 0 {
					stop = each(out)
				}
				return stop
			}))
	if stop != nil {
		return stop
	}
	if err != nil {
		return coded(fmt.Sprintf("list OS Config vulnerability reports of %s in %s", project, zone), osconfigCallError(err, project, zone, "GET vulnerabilityReports"))
	}
	return nil
}

func vulnFinding(h runbooks.Host, v *osconfig.VulnerabilityReportVulnerability) (runbooks.PatchFinding, bool) {
	if v == nil || v.Details == nil || len(v.AvailableInventoryItemIds) == 0 {
		return runbooks.PatchFinding{}, false
	}
	cve := strings.ToUpper(v.Details.Cve)
	f := runbooks.PatchFinding{HostID: h.ID, HostName: h.Name, Env: h.Env, PatchID: cve, Title: strings.Join(v.AvailableInventoryItemIds, ", "),
		Severity: feedSeverity(v.Details.Severity), VendorSeverity: v.Details.Severity, Classification: "vulnerability",
		State: runbooks.PatchMissing, Source: runbooks.SourceGCPOSConfig + " vulnerabilityReports"}
	if cve != "" {
		f.CVEs = []string{cve}
	} else {
		f.PatchID = v.AvailableInventoryItemIds[0]
	}
	return f, true
}

// feedSeverity maps the OS vendor feed's severity (CRITICAL, HIGH, MEDIUM,
// LOW, MINIMAL).
func feedSeverity(s string) string {
	switch strings.ToUpper(s) {
	case "CRITICAL":
		return runbooks.PatchCritical
	case "HIGH", "IMPORTANT":
		return runbooks.PatchHigh
	case "MEDIUM", "MODERATE":
		return runbooks.PatchMedium
	case "LOW", "MINIMAL", "NEGLIGIBLE":
		return runbooks.PatchLow
	}
	return runbooks.PatchUnrated
}
