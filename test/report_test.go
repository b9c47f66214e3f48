package test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
)

// TestReportEvidence: the report stage hands the reporter what the store
// holds — the audit trail up to the report, the refusals, the hosts found
// in preflight — and the chain head it vouches for matches the stream.
func TestReportEvidence(t *testing.T) {
	ctx := context.Background()
	tn := gateTenant().Name
	h := newGateHarness(t, backends()[0], sim.Faults{})
	c := h.start(ctx, tn)
	c = h.runUntil(ctx, c.ID, "nonprod awaits approval", awaiting("nonprod"))
	h.refused(ctx, c.ID, "nonprod", runbooks.Approve, outsider, runbooks.CodeForbidden)
	c = h.finish(ctx, c.ID)
	if c.Report == nil {
		t.Fatal("no report")
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(c.Report.Location), "evidence.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev reports.Evidence
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.HostsBefore) != c.Scope.Hosts || len(ev.Hosts) != len(ev.HostsBefore) || len(ev.Hosts) == 0 {
		t.Errorf("evidence has %d hosts before and %d after, the cycle's scope %d", len(ev.HostsBefore), len(ev.Hosts), c.Scope.Hosts)
	}
	for i := range ev.Hosts {
		if ev.HostsBefore[i].PendingPatches == 0 || ev.Hosts[i].PendingPatches != 0 {
			t.Errorf("%s: %d pending at preflight, %d at the report; want some, then none",
				ev.Hosts[i].Name, ev.HostsBefore[i].PendingPatches, ev.Hosts[i].PendingPatches)
		}
	}
	if len(ev.Refusals) != 1 || ev.Refusals[0].Actor != outsider {
		t.Errorf("evidence refusals %+v, want the outsider's", ev.Refusals)
	}
	entries, err := h.store.Read(ctx, runbooks.AuditStream(c.ID), ev.AuditEntries, 1)
	if err != nil || len(entries) != 1 || entries[0].Hash != ev.AuditHead || int64(len(ev.Events)) != ev.AuditEntries {
		t.Errorf("evidence vouches for head %d %s over %d events; the stream says %+v (%v)", ev.AuditEntries, ev.AuditHead, len(ev.Events), entries, err)
	}
}

// TestFinishedCycleReportSaysCompleted: the report of a cycle that ran to
// its end is made before the cycle is marked completed, yet its PDF and
// JSON say completed with the end time the archived cycle keeps.
func TestFinishedCycleReportSaysCompleted(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("PATCHGATE_REQUIRE_SERVICES") != "" {
			t.Fatalf("pdftotext is required (PATCHGATE_REQUIRE_SERVICES is set): %v", err)
		}
		t.Skipf("pdftotext not installed: %v", err)
	}
	ctx := context.Background()
	h := newGateHarness(t, backends()[0], sim.Faults{})
	c := h.finish(ctx, h.start(ctx, gateTenant().Name).ID)
	if c.Report == nil || c.Status != runbooks.StatusCompleted || c.Ended.IsZero() {
		t.Fatalf("cycle %s ended %v with report %+v; want completed with a report", c.Status, c.Ended, c.Report)
	}
	dir := filepath.Dir(c.Report.Location)
	out, err := exec.Command(pdftotext, "-layout", filepath.Join(dir, reports.PDFName(c.ID)), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := string(out)
	end := c.Ended.UTC().Format("2006-01-02 15:04Z")
	if !regexp.MustCompile(`Status\s+completed`).MatchString(text) || !regexp.MustCompile(`Period\s+\S.*→ `+regexp.QuoteMeta(end)).MatchString(text) ||
		strings.Contains(text, "in progress") || strings.Contains(text, "running") {
		t.Errorf("PDF does not say completed, ended %s:\n%s", end, firstLines(text, 20))
	}
	b, err := os.ReadFile(filepath.Join(dir, "evidence.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev reports.Evidence
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Cycle.Status != runbooks.StatusCompleted || !ev.Cycle.Ended.Equal(c.Ended) {
		t.Errorf("evidence.json cycle %s ended %v; the archive says %s ended %v", ev.Cycle.Status, ev.Cycle.Ended, c.Status, c.Ended)
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
