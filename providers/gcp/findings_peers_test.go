package gcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/gcp/gcptest"
	"github.com/patchgate/patchgate/runbooks"
)

// peerStep is the step budget the hostile-peer tests give the provider.
const peerStep = 2 * time.Second

const vulnList = "osconfig.vulnerabilityReports.list"

// vulnPeer is the test fleet plus web-3 (two fixable vulnerabilities)
// with OS Config behind a hostile peer that picks vulnerabilityReports.
func vulnPeer(t *testing.T) (*gcptest.Server, *Provider, *testkit.Hostile, []runbooks.Host) {
	t.Helper()
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	srv.AddInstance(gcptest.Instance{Project: "dr-proj", Zone: "us-central1-a", Name: "web-3", ID: 201, Labels: map[string]string{"env": "prod"},
		OS: &gcptest.OSInfo{ShortName: "debian", Version: "12", KernelRelease: "6.1.0-25-amd64"},
		Vulnerabilities: []gcptest.Vulnerability{
			{CVE: "CVE-2026-31101", Severity: "CRITICAL", CVSSv3: 9.8, Fix: "availablePackage-openssl-3.0.15-1", Installed: "installedPackage-openssl-3.0.11-1", Detected: t0},
			{CVE: "CVE-2026-31103", Severity: "HIGH", CVSSv3: 7.8, Fix: "availablePackage-sudo-1.9.13p3-1", Installed: "installedPackage-sudo-1.9.13p2-1", Detected: t0},
		}})
	peer := testkit.NewHostile(t, srv.URL)
	peer.Match = func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/vulnerabilityReports") }
	p := newProvider(t, srv, clk, func(c *Config) { c.OSConfigEndpoint, c.StepTimeout = peer.URL+"/", peerStep })
	hosts, err := p.Hosts(context.Background(), tenant, prodDR)
	if err != nil {
		t.Fatal(err)
	}
	return srv, p, peer, hosts
}

// readGuarded reads the findings under a guard of ten steps: a read still
// going then has outlived its own budget, and the test says so instead of
// hanging.
func readGuarded(t *testing.T, read func(context.Context) ([]runbooks.PatchFinding, error)) ([]runbooks.PatchFinding, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*peerStep)
	defer cancel()
	fs, err := read(ctx)
	if ctx.Err() != nil {
		t.Fatalf("the read was still going after ten steps (%v), far past its step budget: %v", 10*peerStep, err)
	}
	return fs, err
}

// TestPatchFindingsHostileVulnerabilityReportsPeers: vulnerabilityReports
// behind a peer that never answers, one that answers 500 with an HTML
// page, a 429 RESOURCE_EXHAUSTED storm longer than the budget's attempts,
// and one that cuts a page's body in half: each read ends inside its step
// budget with an error (a CallError naming osconfig and the call where
// Google's answer was not one), never with a shorter list.
func TestPatchFindingsHostileVulnerabilityReportsPeers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		set   func(*gcptest.Server, *testkit.Hostile)
		cause string // in the CallError's plain cause; "" when no CallError is promised
	}{
		{"never answers", func(_ *gcptest.Server, h *testkit.Hostile) { h.BlackHole() }, "no answer"},
		{"500 with HTML", func(_ *gcptest.Server, h *testkit.Hostile) { h.HTMLError() }, "non-JSON"},
		{"429 storm past the budget", func(s *gcptest.Server, _ *testkit.Hostile) {
			s.Fail(vulnList, 429, 429, 429, 429, 429, 429, 429, 429)
		}, "throttled by the service (RESOURCE_EXHAUSTED)"},
		{"truncated body", func(_ *gcptest.Server, h *testkit.Hostile) { h.Truncate() }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, p, peer, hosts := vulnPeer(t)
			tc.set(srv, peer)
			fs, err := readGuarded(t, func(ctx context.Context) ([]runbooks.PatchFinding, error) { return p.PatchFindings(ctx, hosts) })
			if err == nil || len(fs) != 0 {
				t.Fatalf("read = %d findings, %v; want an error and no list", len(fs), err)
			}
			if peer.Hits() == 0 {
				t.Fatal("the hostile peer was never asked; the test proves nothing")
			}
			if tc.cause == "" {
				return
			}
			ce, ok := runbooks.AsCallError(err)
			if !ok {
				t.Fatalf("error %v: want a CallError", err)
			}
			if ce.Service != "osconfig" || !strings.Contains(ce.Operation, "vulnerabilityReports") || !strings.Contains(ce.PlainCause(), tc.cause) {
				t.Errorf("CallError = %v (service %q, operation %q); want osconfig vulnerabilityReports, cause with %q", ce, ce.Service, ce.Operation, tc.cause)
			}
			if ce.Attempts > Attempts {
				t.Errorf("%d attempts, more than the budget's %d", ce.Attempts, Attempts)
			}
		})
	}
}

// TestPatchFindingsVulnerabilityReportsThrottlingStormEndsInsideTheBudget:
// three 429 RESOURCE_EXHAUSTED answers, then the quota is back: the fourth
// attempt reads web-3's two findings.
func TestPatchFindingsVulnerabilityReportsThrottlingStormEndsInsideTheBudget(t *testing.T) {
	srv, p, _, hosts := vulnPeer(t)
	srv.Fail(vulnList, 429, 429, 429)
	fs, err := readGuarded(t, func(ctx context.Context) ([]runbooks.PatchFinding, error) { return p.PatchFindings(ctx, hosts) })
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 {
		t.Errorf("%d findings, want web-3's 2", len(fs))
	}
}

// TestPatchFindingsVulnerabilityReportsPagingLoopsEnd: a peer whose every
// page names a new nextPageToken, and one that hands back the same one,
// end the zone's list with an error naming the loop.
func TestPatchFindingsVulnerabilityReportsPagingLoopsEnd(t *testing.T) {
	for name, token := range map[string]func(n int) string{
		"a new token forever": func(n int) string { return fmt.Sprintf("forever-%d", n) },
		"the same token":      func(int) string { return "2" },
	} {
		t.Run(name, func(t *testing.T) {
			_, p, peer, hosts := vulnPeer(t)
			p.maxPages = 20
			peer.Edit(func(n int, body []byte) []byte {
				var page map[string]any
				if err := json.Unmarshal(body, &page); err != nil {
					t.Errorf("page %d: %v", n, err)
				}
				page["nextPageToken"] = token(n)
				out, _ := json.Marshal(page)
				return out
			})
			_, err := readGuarded(t, func(ctx context.Context) ([]runbooks.PatchFinding, error) { return p.PatchFindings(ctx, hosts) })
			if !errors.Is(err, runbooks.ErrEndlessPaging) || !strings.Contains(err.Error(), "vulnerabilityReports.list of projects/dr-proj/locations/us-central1-") {
				t.Fatalf("read: %v; want an endless-paging error naming the loop", err)
			}
			if peer.Hits() > 21 {
				t.Errorf("%d pages asked for, past the cap of 20", peer.Hits())
			}
		})
	}
}
