package reports

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	rb "github.com/patchgate/patchgate/runbooks"
)

// TestRollbackSectionInPDF: the report of a cycle that was rolled back has
// a rollback section (who asked, who approved, which backup each host was
// restored from, the checks after the restore with their sources) read
// back with pdftotext, and CC7.4/CC7.5 and A1.2 lines about it.
func TestRollbackSectionInPDF(t *testing.T) {
	pdftotext := needTool(t, "pdftotext")
	b := fixture()
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	b.Rollbacks = []*rb.Rollback{{ID: "RB-acme-cu-20261122-0900-abc123", Cycle: b.Cycle.ID, Env: "staging", Status: rb.RollbackCompleted,
		Requester: "U0REQUESTER", RequestedBy: &rb.Person{ID: "U0REQUESTER", Name: "Rita Requester", Email: "rita@acme-cu.example"},
		Reason: "checkout fails after the kernel update", Created: at, MinApprovals: 1,
		Approvals: []rb.Approval{{By: "U0APPROVER1", At: at.Add(time.Minute), Person: &rb.Person{ID: "U0APPROVER1", Name: "Avery Approver"}}},
		Hosts: []rb.RollbackHost{{Host: rb.Host{ID: "i-0abc", Name: "staging-api-2", Cloud: rb.AWS},
			Backup:  rb.HostBackup{Kind: rb.BackupImage, ID: "ami-0pre1234", TakenAt: at.Add(-6 * time.Hour), Cycle: b.Cycle.ID},
			Restore: rb.RestoreOp{Step: "replace-root-volume", Done: true, At: at.Add(20 * time.Minute), Source: "aws-ec2"}}},
		Gates: []rb.Gate{{Name: "agent", Passed: true, At: at.Add(25 * time.Minute), Summary: "1 of 1 restored machine(s) back with their patch agent online", Sources: []string{"aws-ssm"}},
			{Name: "health", Passed: true, At: at.Add(25 * time.Minute), Summary: "0 open problem(s)", Sources: []string{"dynatrace"}}}}}
	path, _ := renderFile(t, b)
	out, err := exec.Command(pdftotext, "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := string(out)
	for _, s := range []string{"Rollbacks to the pre-patch backups", "RB-acme-cu-20261122-0900-abc123", "Rita Requester",
		"checkout fails after the kernel update", "Avery Approver", "ami-0pre1234", "staging-api-2", "replace-root-volume",
		"agent check passed", "aws-ssm", "health check passed"} {
		if !strings.Contains(text, s) {
			t.Errorf("PDF text lacks %q", s)
		}
	}
	evs := Evaluate(&b)
	for _, e := range evs {
		all := strings.Join(append(e.Result.Evidence, e.Result.Exceptions...), "\n")
		switch e.Control.ID {
		case "CC7.4/CC7.5", "A1.2":
			if !strings.Contains(all, "RB-acme-cu-20261122-0900-abc123") {
				t.Errorf("%s does not mention the rollback: %s", e.Control.ID, all)
			}
		}
	}
	if t.Failed() {
		t.Logf("PDF text:\n%s", text)
	}
}
