package reports

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// reportInput is the fixture as the engine hands it to a Reporter.
func reportInput() runbooks.ReportInput {
	b := fixture()
	b.Cycle.Outbox = []runbooks.Event{{Seq: 99}}
	return runbooks.ReportInput{Cycle: b.Cycle, Events: b.Events, Refusals: b.Refusals, Hosts: b.Hosts,
		HostsBefore: b.Hosts[:2], AuditEntries: b.Chain.Entries, AuditHead: b.Chain.Head, Access: b.Access}
}

func TestDirReport(t *testing.T) {
	d := &Dir{Path: t.TempDir(), Now: func() time.Time { return at(31) }}
	in := reportInput()
	rep, err := d.Report(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{FileEvidence, FileHosts, FileApprovals, FileEvents, "c-42-compliance.pdf", FileManifest}
	var names []string
	for _, f := range rep.Files {
		names = append(names, f.Name)
		b, err := os.ReadFile(f.Location)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if f.SHA256 != hex.EncodeToString(sum[:]) || f.Size != int64(len(b)) {
			t.Errorf("%s: recorded %s/%d bytes, file has %x/%d", f.Name, f.SHA256, f.Size, sum, len(b))
		}
		if filepath.Dir(f.Location) != filepath.Join(d.Path, "c-42") {
			t.Errorf("%s archived at %s, want under the cycle's directory", f.Name, f.Location)
		}
	}
	if !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	pdf := rep.Files[4]
	if rep.Location != pdf.Location || rep.SHA256 != pdf.SHA256 {
		t.Errorf("report location/hash %s %s are not the PDF's", rep.Location, rep.SHA256)
	}
	if c := rep.Compliance; c == nil || c.Passed != 8 || c.Applicable != 9 || !slices.Equal(c.Exceptions, []string{"6.3.3"}) {
		t.Errorf("compliance %+v, want 8/9 with 6.3.3", rep.Compliance)
	}

	var ev Evidence
	readJSON(t, rep.Files[0].Location, &ev)
	if ev.Schema != "patchgate.evidence/v2" || len(ev.Events) != len(in.Events) || ev.Cycle.ID != "c-42" ||
		len(ev.Hosts) != 7 || len(ev.HostsBefore) != 2 || ev.AuditHead != in.AuditHead || len(ev.Controls) != len(Controls) ||
		ev.Compliance.Passed != 8 || ev.Access == nil || len(ev.Access.Executors) != 3 {
		t.Errorf("evidence = %+v", ev)
	}
	if len(ev.Cycle.Outbox) != 0 || len(in.Cycle.Outbox) != 1 {
		t.Errorf("the outbox leaked into the evidence, or Report changed the engine's cycle")
	}

	var m Manifest
	readJSON(t, rep.Files[5].Location, &m)
	if m.Schema != ManifestSchema || m.Cycle != "c-42" || len(m.Files) != 5 {
		t.Fatalf("manifest = %+v", m)
	}
	for i, f := range m.Files {
		if f.Name != rep.Files[i].Name || f.SHA256 != rep.Files[i].SHA256 || f.Size != rep.Files[i].Size {
			t.Errorf("manifest lists %+v, archive has %+v", f, rep.Files[i])
		}
	}

	again, err := d.Report(context.Background(), in)
	if err != nil || again.SHA256 != rep.SHA256 || again.Location != rep.Location || len(again.Files) != len(rep.Files) {
		t.Errorf("a repeated report differs: %+v vs %+v (%v)", again, rep, err)
	}
	entries, _ := os.ReadDir(filepath.Join(d.Path, "c-42"))
	if len(entries) != len(want) {
		t.Errorf("%d files in the cycle's directory after two reports, want %d", len(entries), len(want))
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func TestDirReportCSV(t *testing.T) {
	d := &Dir{Path: t.TempDir(), Now: func() time.Time { return at(31) }}
	in := reportInput()
	in.Hosts[0].Name = "=cmd|' /C calc'!A0" // a formula from outside must not run in a spreadsheet
	rep, err := d.Report(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(rep.Location)
	hosts := readCSV(t, filepath.Join(dir, FileHosts))
	if !slices.Equal(hosts[0], hostsColumns) || len(hosts) != len(in.Hosts)+1 {
		t.Fatalf("hosts.csv: header %v, %d rows", hosts[0], len(hosts))
	}
	col := func(name string) int { return slices.Index(hostsColumns, name) }
	byID := map[string][]string{}
	for _, r := range hosts[1:] {
		byID[r[0]] = r
	}
	if r := byID["i-legacy"]; r[col("result")] != HostExcluded || r[col("reason")] != "SSM agent offline" || r[col("managed")] != "false" {
		t.Errorf("legacy-ftp row %v", r)
	}
	if r := byID["i-prod-db"]; r[col("result")] != HostFailed || !strings.Contains(r[col("reason")], "dependency conflict") {
		t.Errorf("prod-db-1 row %v", r)
	}
	if r := byID["i-np-1"]; r[col("host_name")] != "'=cmd|' /C calc'!A0" || r[col("kernel_before")] != "6.1.115" {
		t.Errorf("nonprod-web-1 row %v", r)
	}

	approvals := readCSV(t, filepath.Join(dir, FileApprovals))
	if !slices.Equal(approvals[0], approvalsColumns) || len(approvals) != 1+4+1 {
		t.Fatalf("approvals.csv: %v", approvals)
	}
	last := approvals[len(approvals)-1]
	if last[2] != "refused approve" || last[3] != "U0REQUESTER" || last[7] != "forbidden" {
		t.Errorf("refusal row %v", last)
	}
	events := readCSV(t, filepath.Join(dir, FileEvents))
	if !slices.Equal(events[0], eventsColumns) || len(events) != len(in.Events)+1 {
		t.Fatalf("events.csv: %d rows", len(events))
	}
	if r := events[len(events)-1]; r[3] != runbooks.EvIncidentResolved || r[6] != `{"dedup_key":"patchgate/c-42/production"}` {
		t.Errorf("last event row %v", r)
	}
}

// TestDirReportPDFNamesTheBundle reads the archived PDF back: the access
// report's principals and the hashes of the CSV files are on it.
func TestDirReportPDFNamesTheBundle(t *testing.T) {
	pdftotext := needTool(t, "pdftotext")
	qpdf := needTool(t, "qpdf")
	d := &Dir{Path: t.TempDir(), Now: func() time.Time { return at(31) }}
	rep, err := d.Report(context.Background(), reportInput())
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(qpdf, "--check", rep.Location).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	out, err := exec.Command(pdftotext, "-layout", rep.Location, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	wants := []string{"hosts.csv SHA-256", "approvals.csv SHA-256", "events.csv SHA-256", "manifest.json",
		"acme-cu-platform-admins", "arn:aws:sts::acct-aws:assumed-role/patchgate-executor/patchgate"}
	for _, f := range rep.Files[:4] {
		wants = append(wants, f.SHA256)
	}
	for _, s := range wants {
		if !strings.Contains(text, s) {
			t.Errorf("PDF text lacks %q", s)
		}
	}
}

func TestDirReportWithoutAccess(t *testing.T) {
	d := &Dir{Path: t.TempDir(), Now: func() time.Time { return at(31) }}
	in := reportInput()
	in.Access, in.AccessError = nil, "sim AccessReport: simulated transient provider error"
	rep, err := d.Report(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(rep.Compliance.Exceptions, "CC6.1") {
		t.Errorf("exceptions %v, want CC6.1 without an access report", rep.Compliance.Exceptions)
	}
	var ev Evidence
	readJSON(t, rep.Files[0].Location, &ev)
	if ev.Access != nil || ev.AccessError != in.AccessError {
		t.Errorf("evidence access %v / %q", ev.Access, ev.AccessError)
	}
}

// failingArchive refuses every Put.
type failingArchive struct{}

func (failingArchive) Put(context.Context, string, []byte, string) (runbooks.ArchivedFile, error) {
	return runbooks.ArchivedFile{}, os.ErrPermission
}

func TestDirReportArchiveFailure(t *testing.T) {
	d := &Dir{Path: t.TempDir(), Archive: failingArchive{}}
	if _, err := d.Report(context.Background(), reportInput()); err == nil || !strings.Contains(err.Error(), "archive evidence.json of c-42") {
		t.Fatalf("err = %v, want the archive's refusal named", err)
	}
}
