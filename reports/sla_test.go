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

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/sla"
	"github.com/patchgate/patchgate/state/boltstore"
)

// slaFleet: web-1 lacks a critical patch released 2026-10-01 (past one
// month), web-2 one released 2026-11-20 (within), db-1 nothing, legacy-1 an
// old critical one under an exception, dark-1 is unmanaged.
type slaFleet struct{}

func (slaFleet) Hosts(context.Context, runbooks.Tenant, runbooks.Environment) ([]runbooks.Host, error) {
	return []runbooks.Host{{ID: "i-web1", Name: "web-1", Env: "production", Managed: true}, {ID: "i-web2", Name: "web-2", Env: "production", Managed: true},
		{ID: "i-db1", Name: "db-1", Env: "production", Managed: true}, {ID: "i-legacy", Name: "legacy-1", Env: "production", Managed: true},
		{ID: "i-dark", Name: "dark-1", Env: "production"}}, nil
}

func (slaFleet) PatchFindings(context.Context, []runbooks.Host) ([]runbooks.PatchFinding, error) {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	return []runbooks.PatchFinding{
		{HostID: "i-web1", HostName: "web-1", PatchID: "ALAS-1", Severity: runbooks.PatchCritical, Released: d("2026-10-01"), State: runbooks.PatchMissing, Source: "aws-ssm DescribeInstancePatches"},
		{HostID: "i-web2", HostName: "web-2", PatchID: "ALAS-2", Severity: runbooks.PatchCritical, Released: d("2026-11-20"), State: runbooks.PatchMissing, Source: "aws-ssm DescribeInstancePatches"},
		{HostID: "i-legacy", HostName: "legacy-1", PatchID: "KB-OLD", Severity: runbooks.PatchCritical, Released: d("2026-03-01"), State: runbooks.PatchFailed, Source: "aws-ssm DescribeInstancePatches"},
	}, nil
}

// TestSLAReportPCILineAgreesWithTheEvaluation: the monthly posture PDF,
// read back with pdftotext, states PCI DSS 6.3.3 exactly as the evaluation
// of the same findings measures it (critical patches within one month of
// release; the excepted host out of the count), lists the exception with
// who accepted it, and shows the 12-month trend rows.
func TestSLAReportPCILineAgreesWithTheEvaluation(t *testing.T) {
	pdftotext := needTool(t, "pdftotext")
	ctx := context.Background()
	clk := testkit.NewClock(time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC))
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "s.db"), boltstore.WithNow(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tenant := runbooks.Tenant{Name: "acme", Environments: []runbooks.Environment{{Name: "production"}}}
	svc := &sla.Service{Store: st, Tenants: []runbooks.Tenant{tenant}, Inventory: slaFleet{}, Findings: slaFleet{},
		Policy: sla.Policy{Default: sla.DefaultDeadlines()}, Clock: clk, RiskApprovers: []string{"U0RISK1", "U0RISK2"}, MinApprovals: 1, MaxExceptionDays: 365}
	// October's last scan, then the exception, then November's.
	clk.Set(time.Date(2026, 10, 31, 5, 0, 0, 0, time.UTC))
	if _, err := svc.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Set(time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC))
	x, err := svc.RequestException(ctx, sla.ExceptionRequest{Tenant: "acme", Target: "host:i-legacy", Until: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC),
		Reason: "vendor appliance", Control: "isolated VLAN", Actor: "U0RISK1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.ApproveException(ctx, x.ID, "U0RISK2"); err != nil {
		t.Fatal(err)
	}
	p, err := svc.Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hosts, _ := slaFleet{}.Hosts(ctx, tenant, tenant.Environments[0])
	fs, _ := slaFleet{}.PatchFindings(ctx, hosts)
	xs, _ := svc.Exceptions(ctx, "acme")
	want := sla.Evaluate(sla.Input{Tenant: "acme", Now: clk.Now(), Deadlines: sla.DefaultDeadlines(), Exceptions: xs, Hosts: hosts, Findings: fs})
	if want.PCI633 != p.Tenants[0].PCI633 || want.PCI633.Within != 2 || want.PCI633.Overdue != 1 || want.PCI633.Excepted != 1 {
		t.Fatalf("scan %+v, evaluation %+v: want 2 within, 1 overdue (web-1), 1 excepted", p.Tenants[0].PCI633, want.PCI633)
	}

	m, err := svc.MonthReport(ctx, "acme", "2026-11")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := RenderSLAPDF(&buf, m, clk.Now()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "posture.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	// The three charts are PNG images in the PDF (gonum/plot).
	imgs, err := exec.Command(needTool(t, "pdfimages"), "-list", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(imgs), " rgb "); n != 3 {
		t.Errorf("%d images in the posture PDF, want the 3 charts:\n%s", n, imgs)
	}
	if out, err := exec.Command(needTool(t, "qpdf"), "--check", path).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	out, err := exec.Command(pdftotext, path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, s := range []string{
		sla.PCIText(want.PCI633), // "… 66.7% (2 of 3 measured hosts; 1 excepted, 1 unmanaged not measured)"
		"2026-10 2026-10-31", "2026-11 2026-11-30",
		x.ID, "accepted by U0RISK2", "isolated VLAN",
		"findings from aws-ssm DescribeInstancePatches",
	} {
		if !strings.Contains(text, strings.Join(strings.Fields(s), " ")) {
			t.Errorf("the PDF lacks %q:\n%s", s, text)
		}
	}
	// The cycle report's 6.3.3 is measured from the same posture and says
	// the same, with the overdue critical patch as its exception.
	b := fixture()
	b.SLA = &SLAPosture{Snapshot: &p.Tenants[0], Exceptions: xs}
	r := result(t, b, "6.3.3")
	if r.Status != StatusException || !strings.HasPrefix(r.Evidence[0], sla.PCIText(want.PCI633)) || len(r.Exceptions) != 1 || !strings.Contains(r.Exceptions[0], "web-1") {
		t.Errorf("cycle 6.3.3 = %+v", r)
	}
	cyclePDF, _ := renderFile(t, b)
	out, err = exec.Command(pdftotext, cyclePDF, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(strings.Fields(string(out)), " "); !strings.Contains(got, strings.Join(strings.Fields(sla.PCIText(want.PCI633)), " ")) {
		t.Errorf("the cycle PDF lacks the 6.3.3 line %q", sla.PCIText(want.PCI633))
	}
}

// BenchmarkSLAPDF renders a monthly posture PDF with a full item list
// (sla.MaxListed items), twelve trend rows and 20 exceptions.
//
//	go test -run '^$' -bench SLAPDF -benchmem ./reports/
func BenchmarkSLAPDF(b *testing.B) {
	at := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)
	snap := sla.Snapshot{Tenant: "acme", Day: "2026-11-30", At: at, ByEnv: map[string]sla.Counts{
		"staging":    {Hosts: 10000, Within: 9000, Due: 600, Overdue: 300, Excepted: 50, Unmanaged: 50},
		"production": {Hosts: 10000, Within: 9100, Due: 500, Overdue: 250, Excepted: 100, Unmanaged: 50}},
		OverdueBySeverity: map[string]int{runbooks.PatchCritical: 120, runbooks.PatchHigh: 300}, CriticalAges: map[string]int{"0-7": 40, "61+": 3},
		Sources: []string{"aws-ssm DescribeInstancePatches"}, KEV: "2026.11.30", Listed: sla.MaxListed}
	snap.Total = snap.ByEnv["staging"].Plus(snap.ByEnv["production"])
	snap.PCI633 = snap.Total
	for i := range sla.MaxListed {
		snap.Items = append(snap.Items, sla.Item{PatchFinding: runbooks.PatchFinding{HostID: "i-" + strings.Repeat("0", 8), PatchID: "ALAS-2026-" + string(rune('a'+i%26)), Severity: runbooks.PatchHigh},
			Status: sla.Overdue, Deadline: at, Start: at.AddDate(0, -2, 0), StartSource: sla.StartReleased})
	}
	m := sla.Month{Tenant: "acme", Month: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Latest: &snap}
	for i := range 12 {
		t := snap
		t.Day = at.AddDate(0, i-11, 0).Format(time.DateOnly)
		m.Trend = append(m.Trend, t)
	}
	for range 20 {
		m.Exceptions = append(m.Exceptions, sla.Exception{ID: "exc-0123456789ab", Tenant: "acme", Scope: sla.ScopeHost, Target: "i-legacy",
			Until: at.AddDate(0, 2, 0), Reason: "vendor appliance", Control: "isolated VLAN", Status: sla.ExceptionApproved})
	}
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := RenderSLAPDF(&buf, m, at); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "pdf-bytes")
}
