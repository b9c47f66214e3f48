package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/sla"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/boltstore"
)

func put(t *testing.T, st state.Store, stream string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Append(context.Background(), stream, b); err != nil {
		t.Fatal(err)
	}
}

func nov(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, time.UTC) }

// outcomeLog writes November 2026's audit log: acme's cycle (started the
// 1st 00:00, production awaiting approval 10 h, halted 2 h, completed the
// 2nd 00:00), a page 3 days after its production patch and one 9 days
// after, a rollback, an exception in force and one lapsed, drift, a SAML
// certificate renewed before expiry; beta's cycle in October (outside).
func outcomeLog(t *testing.T) state.Store {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	c := runbooks.Cycle{ID: "acme-2026-11", Tenant: "acme", Stages: []runbooks.Stage{{Name: "staging"}, {Name: "production", Production: true}}}
	b, _ := json.Marshal(c)
	if _, err := st.Create(ctx, "cycles/done/"+c.ID, b); err != nil {
		t.Fatal(err)
	}
	ev := func(stream, cycle, tenant, stage, typ, detail string, when time.Time) {
		put(t, st, stream, runbooks.Event{Cycle: cycle, Tenant: tenant, Stage: stage, Type: typ, Detail: detail, At: when, Actor: "patchgate"})
	}
	cs := runbooks.AuditStream(c.ID)
	ev(cs, c.ID, "acme", "", runbooks.EvCycleStarted, "", nov(1, 0))
	ev(cs, c.ID, "acme", "staging", runbooks.EvPatchDone, "", nov(1, 2))
	ev(cs, c.ID, "acme", "production", runbooks.EvStageOpened, "awaiting 2 approval(s)", nov(1, 4))
	ev(cs, c.ID, "acme", "production", runbooks.EvApprovalComplete, "2 approval(s) recorded", nov(1, 14))
	ev(cs, c.ID, "acme", "production", runbooks.EvHalted, "", nov(1, 16))
	ev(cs, c.ID, "acme", "production", runbooks.EvResumed, "", nov(1, 18))
	ev(cs, c.ID, "acme", "production", runbooks.EvPatchDone, "", nov(1, 20))
	ev(cs, c.ID, "acme", "", runbooks.EvCycleCompleted, "", nov(2, 0))
	ev(runbooks.RollbackAuditStream("RB-1"), "RB-1", "acme", "", runbooks.EvRollbackRequested, "", nov(3, 0))
	ev(runbooks.RollbackAuditStream("RB-1"), "RB-1", "acme", "", runbooks.EvIncidentOpened, "", nov(4, 20)) // within 7 days
	ev(runbooks.RollbackAuditStream("RB-1"), "RB-1", "acme", "", runbooks.EvRollbackCompleted, "", nov(5, 0))
	put(t, st, sla.AuditStream, map[string]any{"type": sla.EventBreachPaged, "tenant": "acme", "paged": []any{map[string]string{"host": "i-1"}}, "at": nov(10, 20)}) // 9 days: not counted
	ob := runbooks.Cycle{ID: "beta-2026-10", Tenant: "beta"}
	ev(runbooks.AuditStream(ob.ID), ob.ID, "beta", "", runbooks.EvCycleStarted, "", time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC))
	ev(runbooks.AuditStream(ob.ID), ob.ID, "beta", "", runbooks.EvCycleCompleted, "", time.Date(2026, 10, 4, 0, 0, 0, 0, time.UTC))
	exc := func(typ, id, status string, until, when time.Time) {
		put(t, st, sla.AuditStream, map[string]any{"type": typ, "tenant": "acme", "exception": map[string]any{"id": id, "status": status, "until": until}, "at": when})
	}
	exc(sla.EventExceptionApproved, "X1", sla.ExceptionApproved, time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC), nov(5, 0))
	exc(sla.EventExceptionApproved, "X2", sla.ExceptionApproved, nov(20, 0), time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC))
	exc(sla.EventExceptionLapsed, "X2", sla.ExceptionLapsed, nov(20, 0), nov(20, 5))
	put(t, st, "audit/drift", map[string]any{"type": "drift.detected", "tenant": "acme", "item": "d1", "at": nov(6, 7)})
	put(t, st, "audit/drift", map[string]any{"type": "drift.detected", "tenant": "acme", "item": "d2", "at": nov(6, 7)})
	put(t, st, "audit/drift", map[string]any{"type": "drift.resolved", "tenant": "acme", "item": "d1", "at": nov(8, 7)})
	put(t, st, "audit/saml/fp1", map[string]any{"type": "runbook.posted", "not_after": nov(25, 0), "at": nov(1, 7)})
	put(t, st, "audit/saml/fp1", map[string]any{"type": "resolved", "detail": "renewed: certificate serial 2 is valid until 2027-11-25", "at": nov(12, 7)})
	return st
}

func TestSLAOutcomesAreReadFromTheAuditLog(t *testing.T) {
	o, err := OutcomesOf(context.Background(), outcomeLog(t), "2026-11")
	if err != nil {
		t.Fatal(err)
	}
	a := o.For("acme")
	if a.Cycles != 1 || len(a.Lead) != 1 || a.Lead[0] != 24*time.Hour || a.PeopleWait[0] != 12*time.Hour {
		t.Fatalf("cycles %d, lead %v, waited %v; want one cycle of 24 h, 12 h of it on people", a.Cycles, a.Lead, a.PeopleWait)
	}
	if a.ProdPatches != 1 || a.PostPatch != 1 {
		t.Errorf("production patches %d, post-patch incidents %d; want 1 and 1 (the page 9 days later is outside)", a.ProdPatches, a.PostPatch)
	}
	if a.Rollbacks != 1 || a.RolledBack != 1 || a.ExcOpen != 1 || a.ExcExpired != 1 || a.DriftOpened != 2 || a.DriftClosed != 1 {
		t.Errorf("facts %+v", a)
	}
	if o.All.Cycles != 1 || o.All.SAMLRenewed != 1 || o.All.SAMLRenewedLate != 0 {
		t.Errorf("overall %+v: beta's October cycle is outside November", o.All)
	}
}

func TestSLAPosturePDFShowsTheOutcomeFigures(t *testing.T) {
	pdftotext := needTool(t, "pdftotext")
	o, err := OutcomesOf(context.Background(), outcomeLog(t), "2026-11")
	if err != nil {
		t.Fatal(err)
	}
	m := sla.Month{Tenant: "acme", Month: nov(1, 0), Latest: &sla.Snapshot{Tenant: "acme", Day: "2026-11-30", At: nov(30, 5),
		Total: sla.Counts{Hosts: 10, Within: 6, Due: 1, Overdue: 2, Excepted: 1}, Sources: []string{"aws-ssm DescribeInstancePatches"}}}
	var buf bytes.Buffer
	if err := RenderPosturePDF(&buf, PostureReport{Month: m, Outcomes: o}, nov(30, 6)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "posture.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, s := range []string{
		"Outcomes for management",
		"cycles completed 1 1",
		"cycle lead time (median) 1d 0h",
		"of it waiting on people 50% (12h 00m of 1d 0h)",
		"post-patch incidents 1 1",
		"rollbacks requested / completed 1/1 1/1",
		"exceptions in force at month end 1 1",
		"exceptions expired 1 1",
		"drift items opened / closed 2/1 2/1",
		"SAML certificates renewed before / after expiry platform-wide 1/0",
		"hosts within patch SLA 7 of 9 measured (77.8%)",
		"patchgate report posture --month 2026-11 --tenant acme",
		"audit/cycle/*: cycle.started → cycle.completed",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("the posture PDF lacks %q:\n%s", s, text)
		}
	}
}
