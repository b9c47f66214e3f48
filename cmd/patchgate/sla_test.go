package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSLACommandsOnTheCLI: `patchgate sla posture scan` scans the sim
// fleet (release dates, the sim's KEV catalogue), `sla posture` prints the
// stored result, and `sla except` requests and, as another risk approver,
// approves an exception — the functions /patch posture and /patch except
// call.
func TestSLACommandsOnTheCLI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := cliConfig(t, dir, 0)
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append(b, []byte("sla: {risk_approvers: [U0ALICE001, U0BOB00002]}\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := run(ctx, append(args, "-c", path), &out, &out)
		return code, out.String()
	}
	code, out := cli("sla", "posture", "scan")
	if code != 0 || !strings.Contains(out, "*acme-cu*") || !strings.Contains(out, "within SLA") || !strings.Contains(out, "PCI DSS 6.3.3") ||
		!strings.Contains(out, "KEV catalogue sim") || !strings.Contains(out, "Sources: simulation") {
		t.Fatalf("sla posture scan: exit %d\n%s", code, out)
	}
	if code, again := cli("sla", "posture", "acme-cu"); code != 0 || !strings.Contains(again, "*acme-cu*") {
		t.Fatalf("sla posture acme-cu: exit %d\n%s", code, again)
	}
	code, out = cli("sla", "except", "acme-cu", "CVE-2026-30090", "2027-01-15", "kernel", "pinned", "by", "the", "HSM", "vendor", "control:", "host", "firewall", "--as", "U0ALICE001")
	id := regexp.MustCompile("`(exc-[0-9a-f]+)`").FindStringSubmatch(out)
	if code != 0 || id == nil {
		t.Fatalf("sla except: exit %d\n%s", code, out)
	}
	if code, out := cli("sla", "except", "approve", id[1], "--as", "U0ALICE001"); code == 0 || !strings.Contains(out, "four eyes") {
		t.Errorf("self-approval: exit %d\n%s", code, out)
	}
	if code, out := cli("sla", "except", "approve", id[1], "--as", "U0BOB00002"); code != 0 || !strings.Contains(out, "in force now") {
		t.Errorf("approval: exit %d\n%s", code, out)
	}
	month := time.Now().UTC().Format("2006-01")
	if code, out := cli("sla", "report", "--tenant", "acme-cu", "--month", month, "--out", dir); code != 0 || !strings.HasSuffix(strings.TrimSpace(out), ".pdf") {
		t.Errorf("sla report: exit %d\n%s", code, out)
	} else if b, err := os.ReadFile(strings.TrimSpace(out)); err != nil || !bytes.HasPrefix(b, []byte("%PDF")) {
		t.Errorf("sla report wrote no PDF: %v", err)
	}
	// report posture --month is the same function, with the outcome
	// figures and their queries printed.
	code, out = cli("report", "posture", "--month", month, "--tenant", "acme-cu", "--out", dir)
	if code != 0 || !strings.Contains(out, "sla-posture-acme-cu-"+month+".pdf") || !strings.Contains(out, "exceptions in force at month end: 1") ||
		!strings.Contains(out, "query: audit/sla: sla.exception.approved") {
		t.Errorf("report posture --month: exit %d\n%s", code, out)
	}
}
