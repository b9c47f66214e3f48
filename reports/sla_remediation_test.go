package reports

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/sla"
)

// remediationLog adds November's remediations to the outcome log, as the
// engine writes them (runbooks/remediation*.go): RM-1 of acme, two
// instances NON_COMPLIANT since the 3rd 09:14, approved by two people,
// patched, COMPLIANT confirmed the 3rd 13:44; RM-2 of acme dismissed with
// a reason; RM-3 of beta (another tenant's, not in acme's PDF); RM-0 of
// acme in October (outside).
func remediationLog(t *testing.T) *Outcomes {
	t.Helper()
	st := outcomeLog(t)
	at := func(day, h, m int) time.Time { return time.Date(2026, 11, day, h, m, 0, 0, time.UTC) }
	ev := func(id, tenant, host, typ, detail string, when time.Time, data map[string]string, who *runbooks.Person) {
		e := runbooks.Event{Cycle: id, Tenant: tenant, Stage: host, Type: typ, Detail: detail, At: when, Actor: runbooks.ActorSystem, Data: data, Person: who}
		if who != nil {
			e.Actor = who.ID
		}
		put(t, st, runbooks.RemediationAuditStream(id), e)
	}
	nc := func(id, tenant, host string, since time.Time) {
		ev(id, tenant, host, runbooks.EvRemediationEvent, "Config reports "+host+" NON_COMPLIANT", since.Add(time.Minute),
			map[string]string{"compliance": runbooks.NonCompliant, "at": since.Format(time.RFC3339), "rule": "ec2-managedinstance-patch-compliance-status-check"}, nil)
	}
	ev("RM-1", "acme", "", runbooks.EvRemediationOpened, "non-compliant instances of acme production collected", at(3, 9, 15), nil, nil)
	nc("RM-1", "acme", "i-0a1b2c3d4e5f60718", at(3, 9, 14))
	nc("RM-1", "acme", "i-0fedcba9876543210", at(3, 9, 20))
	ev("RM-1", "acme", "", runbooks.EvApproved, "approved (1/2)", at(3, 10, 0), nil, &runbooks.Person{ID: "U0ALICE001", Name: "Alice Approver"})
	ev("RM-1", "acme", "", runbooks.EvApproved, "approved (2/2)", at(3, 10, 5), nil, &runbooks.Person{ID: "U0BOB00002", Name: "Bob Builder"})
	ev("RM-1", "acme", "", runbooks.EvRemediationEvaluate, "asked AWS Config to re-evaluate", at(3, 12, 0), nil, nil)
	ev("RM-1", "acme", "", runbooks.EvRemediationResolved, "AWS Config reports all 2 instance(s) COMPLIANT", at(3, 13, 44), nil, nil)
	nc("RM-2", "acme", "i-0aaaaaaaaaaaaaaa1", at(9, 8, 0))
	ev("RM-2", "acme", "", runbooks.EvRemediationDismissed, "dismissed: decommissioned on the 10th", at(9, 9, 0),
		map[string]string{"reason": "decommissioned on the 10th"}, &runbooks.Person{ID: "U0ALICE001", Name: "Alice Approver"})
	nc("RM-3", "beta", "i-0bbbbbbbbbbbbbbb1", at(12, 8, 0))
	nc("RM-0", "acme", "i-0ccccccccccccccc1", time.Date(2026, 10, 20, 8, 0, 0, 0, time.UTC))
	o, err := OutcomesOf(context.Background(), st, "2026-11")
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// The monthly posture PDF lists each of the tenant's remediations of the
// month, read from the audit log: its instances, the time from Config's
// first NON_COMPLIANT to the confirmed COMPLIANT, who approved or who
// dismissed and why, and the outcome.
func TestConfigEventRemediationSectionInPDFShowsEachRemediation(t *testing.T) {
	pdftotext := needTool(t, "pdftotext")
	o := remediationLog(t)
	if len(o.Remediations) != 3 {
		t.Fatalf("remediations %+v: want November's three (RM-0 is October's)", o.Remediations)
	}
	m := sla.Month{Tenant: "acme", Month: nov(1, 0)}
	var buf bytes.Buffer
	if err := RenderPosturePDF(&buf, PostureReport{Month: m, Outcomes: o}, nov(30, 6)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "posture.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-raw", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, s := range []string{
		"Event-driven remediations (AWS Config)",
		"RM-1 i-0a1b2c3d4e5f60718, i-0fedcba9876543210 4h 30m Alice Approver (U0ALICE001), Bob Builder (U0BOB00002) resolved",
		"RM-2 i-0aaaaaaaaaaaaaaa1 since 2026-11-09 08:00Z, not confirmed dismissed by Alice Approver (U0ALICE001): decommissioned on the 10th dismissed",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("the PDF lacks %q:\n%s", s, text)
		}
	}
	for _, s := range []string{"RM-3", "RM-0"} {
		if strings.Contains(text, s) {
			t.Errorf("acme's PDF shows %s (another tenant's, or October's)", s)
		}
	}
}

// Without the audit log read, the section says it was not gathered; with
// no remediation, it says there was none.
func TestConfigEventRemediationSectionInPDFSaysWhenThereIsNone(t *testing.T) {
	pdftotext := needTool(t, "pdftotext")
	for name, c := range map[string]struct {
		o    *Outcomes
		want string
	}{
		"not gathered": {nil, "Not gathered: remediations are read from the audit log"},
		"none":         {&Outcomes{From: nov(1, 0), To: nov(1, 0).AddDate(0, 1, 0)}, "No remediation in November 2026"},
	} {
		var buf bytes.Buffer
		if err := RenderPosturePDF(&buf, PostureReport{Month: sla.Month{Tenant: "acme", Month: nov(1, 0)}, Outcomes: c.o}, nov(30, 6)); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "posture.pdf")
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(pdftotext, "-raw", path, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		if text := strings.Join(strings.Fields(string(out)), " "); !strings.Contains(text, c.want) {
			t.Errorf("%s: the PDF lacks %q:\n%s", name, c.want, text)
		}
	}
}

// A remediation of many instances audits one remediation.gathered event
// naming a few of them and counting the rest: its outcome lists those few,
// then how many more, and Config's earliest NON_COMPLIANT time.
func TestConfigEventGatheredRemediationOutcomeCountsInstances(t *testing.T) {
	since := time.Date(2026, 11, 4, 7, 30, 0, 0, time.UTC)
	r := remediationOf([]runbooks.Event{
		{Cycle: "RM-9", Tenant: "acme", Type: runbooks.EvRemediationOpened, At: since.Add(time.Minute)},
		{Cycle: "RM-9", Tenant: "acme", Type: runbooks.EvRemediationGathered, At: since.Add(10 * time.Minute),
			Data: map[string]string{"instances": "5000", "sample": "i-01,i-02,i-03", "at": since.Format(time.RFC3339), "sha256": "ab"}},
		{Cycle: "RM-9", Tenant: "acme", Type: runbooks.EvRemediationResolved, At: since.Add(3 * time.Hour)},
	})
	if want := []string{"i-01", "i-02", "i-03", "… +4997"}; strings.Join(r.Instances, ",") != strings.Join(want, ",") {
		t.Errorf("instances %q, want %q", r.Instances, want)
	}
	if !r.Since.Equal(since) || r.Outcome != "resolved" {
		t.Errorf("since %s, outcome %s; want %s, resolved", r.Since, r.Outcome, since)
	}
}
