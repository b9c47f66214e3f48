package reports

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// peopleInput is the fixture with people recorded as the engine records
// them: the requester and one approver resolved, the other approver's
// lookup failed, the refused actor resolved.
func peopleInput() runbooks.ReportInput {
	in := reportInput()
	req := runbooks.Person{ID: "U0REQUESTER", Name: "Rita Requester", Email: "rita@acme-cu.example"}
	ada := runbooks.Person{ID: "U0APPROVER1", Name: "Ada Approver", Email: "ada@acme-cu.example"}
	bob := runbooks.Person{ID: "U0APPROVER2", Unresolved: "directory lookup failed"}
	in.Cycle.RequestedBy = &req
	for i := range in.Cycle.Stages {
		for j := range in.Cycle.Stages[i].Approvals {
			a := &in.Cycle.Stages[i].Approvals[j]
			a.Person = &ada
			if a.By == bob.ID {
				a.Person = &bob
			}
		}
	}
	for i := range in.Events {
		switch in.Events[i].Actor {
		case req.ID:
			in.Events[i].Person = &req
		case ada.ID:
			in.Events[i].Person = &ada
		case bob.ID:
			in.Events[i].Person = &bob
		}
	}
	in.Refusals[0].Person = &req
	return in
}

// TestReportPeopleInPDFAndCSV: requesters, approvers and refused actors
// appear with Slack ID, name and email as recorded at decision time in the
// approvals and events CSVs and in the PDF's People table; a failed lookup
// keeps the ID and says the name could not be read.
func TestReportPeopleInPDFAndCSV(t *testing.T) {
	d := &Dir{Path: t.TempDir(), Now: func() time.Time { return at(31) }}
	rep, err := d.Report(context.Background(), peopleInput())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(rep.Location)

	approvals := readCSV(t, filepath.Join(dir, FileApprovals))
	col := func(name string) int { return slices.Index(approvalsColumns, name) }
	got := map[string][]string{}
	for _, r := range approvals[1:] {
		got[r[col("decision")]+" "+r[col("by")]] = r[col("by_name"):]
	}
	for key, want := range map[string][]string{
		"approved U0APPROVER1":        {"Ada Approver", "ada@acme-cu.example", ""},
		"approved U0APPROVER2":        {"", "", "name could not be read: directory lookup failed"},
		"refused approve U0REQUESTER": {"Rita Requester", "rita@acme-cu.example", ""},
	} {
		if !slices.Equal(got[key], want) {
			t.Errorf("approvals.csv %s: name, email, lookup %q, want %q", key, got[key], want)
		}
	}
	events := readCSV(t, filepath.Join(dir, FileEvents))
	ecol := func(name string) int { return slices.Index(eventsColumns, name) }
	first := events[1]
	if first[ecol("actor")] != "U0REQUESTER" || first[ecol("actor_name")] != "Rita Requester" || first[ecol("actor_email")] != "rita@acme-cu.example" {
		t.Errorf("events.csv first row %q", first)
	}

	pdftotext := needTool(t, "pdftotext")
	out, err := exec.Command(pdftotext, "-layout", rep.Location, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, re := range []string{
		`Requested by\s+Rita Requester <rita@acme-cu\.example> \(U0REQUESTER\)`,
		`U0REQUESTER\s+Rita Requester\s+rita@acme-cu\.example\s+requested the cycle, refused: approve`,
		`U0APPROVER1\s+Ada Approver\s+ada@acme-cu\.example\s+approved nonprod, approved staging, approved production`,
		`U0APPROVER2\s+approved production\s+name could not be read: directory lookup failed`,
	} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("the PDF lacks %s", re)
		}
	}
	if t.Failed() {
		i := strings.Index(text, "People")
		t.Logf("PDF from People on:\n%s", text[max(i, 0):min(len(text), max(i, 0)+2500)])
	}
}
