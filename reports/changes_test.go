package reports

import (
	"os/exec"
	"strings"
	"testing"

	rb "github.com/patchgate/patchgate/runbooks"
)

// withChange is the fixture with a ServiceNow change record that went
// through its states.
func withChange(mod func(r *rb.ChangeRef)) Bundle {
	b := fixture()
	r := &rb.ChangeRef{Platform: "servicenow", Kind: rb.ChangeNormal, ID: "b0dbda53", Number: "CHG0030052",
		URL: "https://acme.service-now.com/change_request.do?sys_id=b0dbda53", PlatformState: "Implement",
		Approval: "Approved", Approved: true, State: rb.ChangeImplementing,
		States: []string{"requested: Assess", "implement: Implement"}}
	if mod != nil {
		mod(r)
	}
	b.Cycle.Change = r
	return b
}

// TestChangeRecordReport: CC8.1 and PCI DSS 6.5.1 name the change number,
// its states and approval, and the back-out plan (the backups); a record
// never created, or a required approval not given, is an exception.
func TestChangeRecordReport(t *testing.T) {
	b := withChange(nil)
	cc81 := strings.Join(result(t, b, "CC8.1").Evidence, "\n")
	for _, s := range []string{"change record ServiceNow CHG0030052 (Implement) (normal change, source servicenow)",
		"change states: requested: Assess → implement: Implement", "change approval in ServiceNow: Approved"} {
		if !strings.Contains(cc81, s) {
			t.Errorf("CC8.1 evidence lacks %q:\n%s", s, cc81)
		}
	}
	r := result(t, b, "6.5.1")
	if r.Status != StatusPass || !strings.Contains(strings.Join(r.Evidence, "\n"), "back-out plan: restore from the pre-patch backups (nonprod: ") {
		t.Errorf("6.5.1 %s: %q", r.Status, r.Evidence)
	}

	r = result(t, withChange(func(r *rb.ChangeRef) {
		r.Number, r.ID, r.States, r.Errors, r.LastError = "", "", nil, 4, "servicenow rest POST failed: HTTP 503"
	}), "6.5.1")
	if r.Status != StatusException || !strings.Contains(strings.Join(r.Exceptions, "\n"), "no change record was created in ServiceNow (4 failed attempt(s): servicenow rest POST failed: HTTP 503)") {
		t.Errorf("not created: %s %q", r.Status, r.Exceptions)
	}
	b = withChange(func(r *rb.ChangeRef) { r.Approved, r.Approval = false, "Requested" })
	for i := range b.Cycle.Stages {
		if b.Cycle.Stages[i].Production {
			b.Cycle.Stages[i].RequireChangeApproval = true
		}
	}
	if r = result(t, b, "6.5.1"); r.Status != StatusException || !strings.Contains(strings.Join(r.Exceptions, "\n"), "production started before ServiceNow CHG0030052") {
		t.Errorf("unapproved: %s %q", r.Status, r.Exceptions)
	}
}

// TestChangeRecordReportPDF: pdftotext on the rendered report shows the
// change number, its states and the back-out plan.
func TestChangeRecordReportPDF(t *testing.T) {
	pdftotext := needTool(t, "pdftotext")
	path, _ := renderFile(t, withChange(nil))
	out, err := exec.Command(pdftotext, path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, s := range []string{"CHG0030052", "6.5.1", "requested: Assess", "back-out plan: restore from the pre-patch backups"} {
		if !strings.Contains(text, s) {
			t.Errorf("PDF text lacks %q", s)
		}
	}
	if t.Failed() {
		t.Logf("PDF text:\n%s", text)
	}
}
