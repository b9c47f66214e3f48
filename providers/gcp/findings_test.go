package gcp

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/gcp/gcptest"
	"github.com/patchgate/patchgate/runbooks"
)

// TestPatchFindingsFromVulnerabilityReports: the real osconfig/v1 client
// lists vulnerabilityReports for instances/- per zone from gcptest, which
// answers in the documented VulnerabilityReport shape, paged two at a time
// and with one 503 first. Each vulnerability a package update fixes is a
// finding with its CVE and the feed's severity; one without a fix is not;
// the unmanaged VM is not read.
func TestPatchFindingsFromVulnerabilityReports(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	detected := t0.Add(-20 * 24 * time.Hour)
	srv.AddInstance(gcptest.Instance{Project: "dr-proj", Zone: "us-central1-a", Name: "web-3", ID: 201, Labels: map[string]string{"env": "prod"}, OS: &gcptest.OSInfo{ShortName: "debian", Version: "12", KernelRelease: "6.1.0-25-amd64"},
		Vulnerabilities: []gcptest.Vulnerability{
			{CVE: "CVE-2026-31101", Severity: "CRITICAL", CVSSv3: 9.8, Fix: "availablePackage-openssl-3.0.15-1", Installed: "installedPackage-openssl-3.0.11-1", Detected: detected},
			{CVE: "CVE-2026-31103", Severity: "HIGH", CVSSv3: 7.8, Fix: "availablePackage-sudo-1.9.13p3-1", Installed: "installedPackage-sudo-1.9.13p2-1", Detected: detected},
			{CVE: "CVE-2026-39999", Severity: "LOW", CVSSv3: 3.1, Installed: "installedPackage-less-590-2", Detected: detected},
		}})
	p := newProvider(t, srv, clk)
	hosts, err := p.Hosts(context.Background(), tenant, prodDR)
	if err != nil {
		t.Fatal(err)
	}
	srv.Fail("osconfig.vulnerabilityReports.list", http.StatusServiceUnavailable)
	fs, err := p.PatchFindings(context.Background(), hosts)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 {
		t.Fatalf("%d findings %+v, want the two fixable vulnerabilities of web-3", len(fs), fs)
	}
	crit, high := fs[0], fs[1]
	if crit.PatchID != "CVE-2026-31101" || crit.Severity != runbooks.PatchCritical || crit.VendorSeverity != "CRITICAL" || crit.HostID != "201" ||
		crit.HostName != "web-3" || len(crit.CVEs) != 1 || crit.Title != "availablePackage-openssl-3.0.15-1" || !crit.Released.IsZero() ||
		crit.Source != "gcp-osconfig vulnerabilityReports" || crit.State != runbooks.PatchMissing {
		t.Errorf("critical = %+v", crit)
	}
	if high.Severity != runbooks.PatchHigh || high.PatchID != "CVE-2026-31103" {
		t.Errorf("high = %+v", high)
	}
	// web-1, web-2, web-3 report in us-central1-a (old-1 and dev-1 too):
	// pages of two; db-1 in us-central1-b; plus the retried 503.
	if n := srv.Count("osconfig.vulnerabilityReports.list"); n < 4 {
		t.Errorf("%d vulnerabilityReports.list requests: paging or the retry did not happen", n)
	}
}
