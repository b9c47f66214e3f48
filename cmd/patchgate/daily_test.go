package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks/schedule"
)

// dailyConfig is cliConfig with extra sections appended.
func dailyConfig(t *testing.T, dir, extra string) string {
	t.Helper()
	path := cliConfig(t, dir, 0)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, extra...), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeIdP(t *testing.T, path string, certs ...sim.IdPCert) {
	t.Helper()
	md, err := sim.SAMLMetadata(time.Now(), certs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, md, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSAMLCheckCLI: `patchgate saml check` prints the findings; a warning
// alone exits 0, a certificate below the page threshold or an unreadable
// source exits 1.
func TestSAMLCheckCLI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	warn, page := filepath.Join(dir, "warn.xml"), filepath.Join(dir, "page.xml")
	writeIdP(t, warn, sim.IdPCert{EntityID: "https://okta.example", CommonName: "okta-45", Serial: 45, ValidFor: 45*24*time.Hour + time.Hour},
		sim.IdPCert{EntityID: "https://ok.example", CommonName: "fine", Serial: 1, ValidFor: 300 * 24 * time.Hour})
	writeIdP(t, page, sim.IdPCert{EntityID: "https://adfs.example", CommonName: "adfs-10", Serial: 10, ValidFor: 10*24*time.Hour + time.Hour})
	cases := []struct {
		name, sources string
		code          int
		want          []string
	}{
		{"warning only", fmt.Sprintf("    - {name: okta, kind: okta, file: %q, integration: Online banking}\n", warn), 0,
			[]string{"1 certificate(s) need action, 0 source(s) failed", "WARN      45 days  Okta · Online banking · CN=okta-45"}},
		{"page", fmt.Sprintf("    - {name: okta, kind: okta, file: %q}\n    - {name: adfs, kind: adfs, file: %q}\n", warn, page), 1,
			[]string{"PAGE      10 days  AD FS · adfs · CN=adfs-10", "WARN      45 days"}},
		{"unreadable", fmt.Sprintf("    - {name: gone, kind: entra, file: %q}\n", filepath.Join(dir, "missing.xml")), 1,
			[]string{"FAILED  source gone: saml metadata"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := dailyConfig(t, t.TempDir(), "saml:\n  sources:\n"+tc.sources)
			var out bytes.Buffer
			if code := run(ctx, []string{"saml", "check", "--config", cfg}, &out, &out); code != tc.code {
				t.Errorf("exit %d, want %d:\n%s", code, tc.code, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// TestDriftCheckCLI: `patchgate drift check` prints the digest of a
// recorded plan with drift (exit 1), and of clean workspaces (exit 0),
// including a real offline terraform workspace when terraform is present.
func TestDriftCheckCLI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	drifted, clean := filepath.Join(dir, "drift.json"), filepath.Join(dir, "clean.json")
	if err := os.WriteFile(drifted, sim.DemoDriftPlan(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(clean, []byte(`{"format_version":"1.2","terraform_version":"1.11.4"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cleanWS := fmt.Sprintf("    - {name: dns, tenant: acme-cu, plan_json: %q}\n", clean)
	if _, err := exec.LookPath("terraform"); err == nil {
		tf := filepath.Join(dir, "tf")
		rc := filepath.Join(dir, "terraformrc")
		if err := os.MkdirAll(tf, 0o700); err != nil {
			t.Fatal(err)
		}
		_ = os.WriteFile(rc, nil, 0o600)
		if err := os.WriteFile(filepath.Join(tf, "main.tf"), []byte(`resource "terraform_data" "x" { input = "a" }`), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("TF_CLI_CONFIG_FILE", rc)
		t.Setenv("CHECKPOINT_DISABLE", "1")
		cleanWS += fmt.Sprintf("    - {name: real, tenant: bayview-cu, dir: %q}\n", tf)
	} else if os.Getenv("PATCHGATE_REQUIRE_SERVICES") != "" {
		t.Fatal("terraform required")
	}
	var out bytes.Buffer
	cfg := dailyConfig(t, t.TempDir(), "drift:\n  workspaces:\n"+cleanWS)
	if code := run(ctx, []string{"drift", "check", "--config", cfg}, &out, &out); code != 0 {
		t.Errorf("clean: exit %d:\n%s", code, out.String())
	}
	if _, err := exec.LookPath("terraform"); err == nil && !strings.Contains(out.String(), "real: clean") {
		t.Errorf("the real terraform workspace is not reported clean:\n%s", out.String())
	}
	out.Reset()
	cfg = dailyConfig(t, t.TempDir(), fmt.Sprintf("drift:\n  workspaces:\n    - {name: net, tenant: acme-cu, account: \"111122223333\", plan_json: %q}\n", drifted))
	if code := run(ctx, []string{"drift", "check", "--config", cfg}, &out, &out); code != 1 {
		t.Errorf("drift: exit %d, want 1:\n%s", code, out.String())
	}
	for _, w := range []string{"acme-cu · 111122223333", "net: drift", "- aws_security_group.web update: ingress[0].cidr_blocks[1], tags.Owner, tags.Temp", "- aws_s3_bucket.logs delete"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
}

// TestScheduleDailyJobs: the daily-check schedules become scheduler jobs that
// fire once per scheduled time across two schedulers on one store, a
// broken expression names its field, and grace comes from the file.
func TestScheduleDailyJobs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfgPath := dailyConfig(t, dir, "schedules: {timezone: America/Chicago, saml_check: \"0 7 * * *\", drift_report: \"30 7 * * MON-FRI\", grace: 3h}\n")
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	a, err := build(ctx, cfg, wiring{reports: dir, log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.store.Close()
	var mu sync.Mutex
	ran := map[string]int{}
	job := func(name string) func(context.Context, time.Time) error {
		return func(_ context.Context, at time.Time) error {
			mu.Lock()
			defer mu.Unlock()
			ran[name+"@"+at.UTC().Format(time.RFC3339)]++
			return nil
		}
	}
	jobs := []namedJob{
		{"saml-check", "schedules.saml_check", cfg.Schedules.SAMLCheck, job("saml")},
		{"drift-report", "schedules.drift_report", cfg.Schedules.DriftReport, job("drift")},
		{"status-digest", "schedules.status_digest", cfg.Schedules.StatusDigest, job("status")}, // unset: not scheduled
	}
	// Monday 2026-11-23 06:00 Chicago (12:00Z).
	clock := testkit.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s1, err := scheduler(cfg, a.store, a.engine, clock, log, jobs...)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := scheduler(cfg, a.store, a.engine, clock, log, jobs...)
	if err != nil {
		t.Fatal(err)
	}
	tickBoth := func() {
		t.Helper()
		for _, s := range []*schedule.Scheduler{s1, s2} {
			if _, err := s.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	tickBoth()
	clock.Advance(2 * time.Hour) // 08:00 Chicago: both firings are due, inside the 3 h grace
	tickBoth()
	want := "map[drift@2026-11-23T13:30:00Z:1 saml@2026-11-23T13:00:00Z:1]"
	if got := fmt.Sprint(ran); got != want {
		t.Errorf("ran %s, want %s", got, want)
	}
	if err := s1.RunOnce(ctx, "status-digest"); err == nil {
		t.Error("an unset schedule was registered")
	}
	bad := *cfg
	bad.Schedules.DriftReport = "61 7 * * *"
	if _, err := scheduler(&bad, a.store, a.engine, clock, log, namedJob{"drift-report", "schedules.drift_report", bad.Schedules.DriftReport, job("x")}); err == nil || !strings.Contains(err.Error(), "schedules.drift_report") {
		t.Errorf("bad expression: %v", err)
	}
}
