package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/daily"
)

// finishCycle runs one acme-cu cycle of the CLI configuration to its end,
// approving each stage, with the engine's reports under reportDir.
func finishCycle(t *testing.T, cfgPath, reportDir string) *runbooks.Cycle {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	a, err := build(ctx, cfg, wiring{reports: reportDir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.store.Close()
	c, err := a.engine.Start(ctx, "acme-cu", "U0REQ00001")
	if err != nil {
		t.Fatal(err)
	}
	tickUntil(t, a.engine, "cycle "+c.ID+" to finish with its report", func() bool {
		if c, err = a.engine.Get(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if c.Status.Terminal() {
			finished, err := a.engine.Finished(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return len(finished) > 0
		}
		i := c.Current()
		if i < 0 || c.Stages[i].Phase != runbooks.PhaseApproval {
			return false
		}
		who := "U0ALICE001"
		if len(c.Stages[i].Approvals) > 0 {
			who = "U0BOB00002"
		}
		if _, err := a.engine.Decide(ctx, runbooks.Decision{Cycle: c.ID, Stage: c.Stages[i].Name, Action: runbooks.Approve,
			Actor: who, SeenRevision: c.Revision}); err != nil {
			t.Fatalf("approve %s as %s: %v", c.Stages[i].Name, who, err)
		}
		return false
	})
	return c
}

// TestReportRegeneratesFromTheStore: `patchgate report --cycle` writes the
// whole report again from the store, with the access report in the PDF,
// and `patchgate report posture` prints the rate the cycle's report found.
func TestReportRegeneratesFromTheStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfgPath := cliConfig(t, dir, 0)
	c := finishCycle(t, cfgPath, filepath.Join(dir, "engine-reports"))
	if c.Report == nil || len(c.Report.Files) != 7 || c.Report.Compliance == nil {
		t.Fatalf("the engine's report: %+v", c.Report)
	}

	out := filepath.Join(dir, "regenerated")
	var buf bytes.Buffer
	if code := run(ctx, []string{"report", "--cycle", c.ID, "--out", out, "--config", cfgPath}, &buf, &buf); code != 0 {
		t.Fatalf("report: exit %d: %s", code, buf.String())
	}
	text := buf.String()
	for _, want := range []string{"report of " + c.ID + " (acme-cu): compliance", "evidence.json", "hosts.csv", "approvals.csv",
		"events.csv", c.ID + "-compliance.pdf", "manifest.json", "the cycle's own report (recorded in its audit log): " + c.Report.Location} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	var m reports.Manifest
	b, err := os.ReadFile(filepath.Join(out, c.ID, reports.FileManifest))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Cycle != c.ID || len(m.Files) != 6 {
		t.Fatalf("manifest %+v (%v)", m, err)
	}
	hosts, err := os.ReadFile(filepath.Join(out, c.ID, reports.FileHosts))
	if err != nil || strings.Count(string(hosts), "\n") != c.Scope.Hosts+1 {
		t.Errorf("hosts.csv: %d lines for %d hosts (%v)", strings.Count(string(hosts), "\n"), c.Scope.Hosts, err)
	}
	if pdftotext, err := exec.LookPath("pdftotext"); err == nil {
		txt, err := exec.Command(pdftotext, "-layout", filepath.Join(out, c.ID, reports.PDFName(c.ID)), "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Access report", "acme-cu-platform-admins", "arn:aws:sts::222222222222:assumed-role/patchgate-executor/patchgate", "U0BOB00002"} {
			if !strings.Contains(string(txt), want) {
				t.Errorf("regenerated PDF lacks %q", want)
			}
		}
	} else if os.Getenv("PATCHGATE_REQUIRE_SERVICES") != "" {
		t.Fatalf("pdftotext is required: %v", err)
	}

	buf.Reset()
	if code := run(ctx, []string{"report", "posture", "--config", cfgPath}, &buf, &buf); code != 0 {
		t.Fatalf("report posture: exit %d: %s", code, buf.String())
	}
	want := "acme-cu: " + daily.RateText(c.Report.Compliance.Rate)
	if !strings.Contains(buf.String(), want) || !strings.Contains(buf.String(), "in "+c.ID) {
		t.Errorf("posture %q lacks %q", buf.String(), want)
	}

	buf.Reset()
	if code := run(ctx, []string{"report", "--cycle", "acme-cu-nope", "--out", out, "--config", cfgPath}, &buf, &buf); code == 0 ||
		!strings.Contains(buf.String(), `no cycle "acme-cu-nope"`) {
		t.Errorf("unknown cycle: exit %d: %s", code, buf.String())
	}
	buf.Reset()
	if code := run(ctx, []string{"report", "--config", cfgPath}, &buf, &buf); code == 0 || !strings.Contains(buf.String(), "--cycle") {
		t.Errorf("no --cycle: exit %d: %s", code, buf.String())
	}
}
