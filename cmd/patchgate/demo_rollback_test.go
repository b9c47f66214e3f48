package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/bot/sandbox"
)

// splitRollbacks sets the rollbacks' root messages apart from the cycles'.
func splitRollbacks(roots []sandbox.Message) (cycles, rollbacks []sandbox.Message) {
	for _, m := range roots {
		if strings.Contains(m.Text, "rollback RB-") {
			rollbacks = append(rollbacks, m)
		} else {
			cycles = append(cycles, m)
		}
	}
	return cycles, rollbacks
}

// checkDemoRollbackSection reads acme-cu's report with pdftotext: it has the
// rollback section, naming the host restored and its backup.
func checkDemoRollbackSection(t *testing.T, pdfs map[string][]byte) {
	t.Helper()
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("PATCHGATE_REQUIRE_SERVICES") != "" {
			t.Fatalf("pdftotext is required: %v", err)
		}
		t.Log("pdftotext not installed: the rollback section is not checked")
		return
	}
	found := false
	for name, pdf := range pdfs {
		if !strings.Contains(name, "acme-cu-") {
			continue
		}
		path := filepath.Join(t.TempDir(), "acme.pdf")
		if err := os.WriteFile(path, pdf, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(pdftotext, "-layout", path, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		text := string(out)
		for _, w := range []string{"Rollbacks to the pre-patch backups", "RB-acme-cu-", "acme-cu-staging-app-01", "snap-sim-", "restored at", "health check passed"} {
			if !strings.Contains(text, w) {
				t.Errorf("acme-cu's report lacks %q", w)
			}
		}
		found = true
	}
	if !found {
		t.Error("no acme-cu report in the demo's threads")
	}
}
