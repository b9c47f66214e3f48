package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/bot/sandbox"
)

// checkEmergencyDemo: the emergency change was requested, its soak waived
// by an emergency approver, production kept four eyes, and its report
// (pdftotext) shows the emergency, the reason and the waiver's
// justification. It returns the roots without the emergency change's.
func checkEmergencyDemo(t *testing.T, out string, sb *sandbox.Server, roots []sandbox.Message, pdfs map[string][]byte) []sandbox.Message {
	t.Helper()
	wantOutput(t, out,
		"rita (requester) types /patch emergency cascade-cu "+demoEmergencyReason,
		"→ Requested EMERGENCY change `cascade-cu-",
		"sam (SRE) types /patch waive cascade-cu-",
		"→ Waived the soak of staging; the justification is recorded.",
		"otto (outsider) clicks approve on cascade-cu production → You are not an approver for emergency changes in production",
		"rita (requester) clicks approve on cascade-cu production → You requested this cycle, and production needs someone else's approval (four eyes).",
	)
	emergency, rest := splitRoots(roots, "EMERGENCY change")
	if len(emergency) != 1 {
		t.Errorf("%d emergency change messages, want 1", len(emergency))
		return rest
	}
	var pdf []byte
	for name, b := range pdfs {
		if strings.HasPrefix(name, emergency[0].TS+" ") {
			pdf = b
		}
	}
	if pdf == nil {
		t.Error("the emergency change's thread holds no PDF report")
		return rest
	}
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("PATCHGATE_REQUIRE_SERVICES") != "" {
			t.Fatalf("pdftotext is required: %v", err)
		}
		t.Log("pdftotext not installed: the emergency report is not read")
		return rest
	}
	path := filepath.Join(t.TempDir(), "emergency.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	text, err := exec.Command(pdftotext, "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	flat := strings.Join(strings.Fields(string(text)), " ")
	for _, want := range []string{"EMERGENCY", "CVE-2026-31337", "exploited in the wild; the CISO accepts skipping the soak"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the emergency change's report lacks %q", want)
		}
	}
	return rest
}
