package reports

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	rb "github.com/patchgate/patchgate/runbooks"
)

// windowFixture is the fixture with production held to a Sunday window in
// America/Chicago: the backup ran inside it, the patch overran it by 30m.
func windowFixture() Bundle {
	b := fixture()
	prod, _ := b.Cycle.Stage("production")
	prod.Window, prod.MinRemaining = "SUN 02:00-06:00 America/Chicago", 90*time.Minute
	span := rb.Span{Start: time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}
	prod.WindowRuns = []rb.WindowRun{
		{Op: "backup", Window: span, Started: span.Start, Done: span.Start.Add(2 * time.Hour), Inside: true},
		{Op: "patch", Window: span, Started: span.Start.Add(2 * time.Hour), Done: span.End.Add(30 * time.Minute), Inside: true, Overrun: true},
	}
	return b
}

func TestChangeWindowEvidenceCC81(t *testing.T) {
	r := evalCC81(ptr(windowFixture()))
	joined := strings.Join(r.Evidence, "\n")
	for _, want := range []string{
		"production: change window SUN 02:00-06:00 America/Chicago, no operation started with under 1h30m left (source: patchgate engine record)",
		"production: backup ran inside window 2026-11-29 08:00Z–2026-11-29 12:00Z: started 2026-11-29 08:00Z, finished 2026-11-29 10:00Z",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("CC8.1 evidence lacks %q:\n%s", want, joined)
		}
	}
	if r.Status != StatusException || !strings.Contains(strings.Join(r.Exceptions, "\n"),
		"production: patch overran change window SUN 02:00-06:00 America/Chicago: finished 2026-11-29 12:30Z, 30m after it closed at 2026-11-29 12:00Z") {
		t.Errorf("CC8.1 = %s %v, want the overrun as an exception", r.Status, r.Exceptions)
	}
	b := fixture()
	if before, after := evalCC81(&b), evalCC81(ptr(fixture())); len(before.Evidence) != len(after.Evidence) {
		t.Errorf("a stage without a window changed CC8.1")
	}
}

// TestChangeWindowPDF: pdftotext on the report shows the window and the
// overrun.
func TestChangeWindowPDF(t *testing.T) {
	pdftotext := needTool(t, "pdftotext")
	path, _ := renderFile(t, windowFixture())
	out, err := exec.Command(pdftotext, path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{"change window SUN 02:00-06:00 America/Chicago", "backup ran inside window", "patch overran change window"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestEmergencyChangePDFShowsTheJustification: pdftotext on an emergency
// change's report shows it as one, its change number, the reason and each
// waiver's justification with who gave it.
func TestEmergencyChangePDFShowsTheJustification(t *testing.T) {
	pdftotext := needTool(t, "pdftotext")
	b := windowFixture()
	b.Cycle.Emergency = &rb.Emergency{Reason: "CVE-2026-4242 exploited in the wild", Hosts: []string{"web-01"}}
	b.Cycle.Change = &rb.ChangeRef{Platform: "servicenow", Kind: rb.ChangeEmergency, Number: "CHG0031337", State: rb.ChangeImplementing}
	prod, _ := b.Cycle.Stage("production")
	prod.Waivers = []rb.Waiver{{What: rb.WaiveWindow, By: "U0CAB00001", Person: &rb.Person{ID: "U0CAB00001", Name: "Carl CAB"},
		At: time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC), Justification: "exploit seen against our edge; cannot wait for Sunday"}}
	path, _ := renderFile(t, b)
	out, err := exec.Command(pdftotext, path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{
		"EMERGENCY change (out of cycle) for web-01: CVE-2026-4242 exploited in the wild",
		"production: window waived by Carl CAB (U0CAB00001)",
		"justification: exploit seen against our edge; cannot wait for Sunday",
		"CHG0031337",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
}
