package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// checkDemoPeople reads the demo's PDFs: the People table names each
// approver, the requester and the refused outsider with Slack ID, display
// name and email as the sandbox's users.info gave them at decision time.
func checkDemoPeople(t *testing.T, pdfs map[string][]byte) {
	t.Helper()
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("PATCHGATE_REQUIRE_SERVICES") != "" {
			t.Fatalf("pdftotext is required: %v", err)
		}
		t.Log("pdftotext not installed: the people in the demo's PDFs are not checked")
		return
	}
	var all strings.Builder
	for name, pdf := range pdfs {
		path := filepath.Join(t.TempDir(), filepath.Base(name))
		if err := os.WriteFile(path, pdf, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(pdftotext, "-layout", path, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext %s: %v", path, err)
		}
		all.Write(out)
	}
	text := all.String()
	for _, re := range []string{
		demoRequester + `\s+rita\S*\s+rita\S*@patchgate-demo\.example\s+requested the cycle`,
		demoSRE + `\s+sam\.sre\s+sam\.sre@patchgate-demo\.example\s+.*approved nonprod`,
		demoCAB1 + `\s+cara\S*\s+cara\S*@patchgate-demo\.example\s+.*approved production`,
		demoCAB2 + `\s+carl\.cab\s+carl\.cab@patchgate-demo\.example\s+.*approved production`,
		demoOutsider + `\s+otto\S*\s+otto\S*@patchgate-demo\.example\s+.*refused`,
	} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("no demo PDF has a People row matching %s", re)
		}
	}
}
