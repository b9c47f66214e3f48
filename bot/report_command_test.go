package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
)

// reportedCycle is a completed cycle whose report reports.Dir really wrote.
func reportedCycle(t *testing.T, id string) *runbooks.Cycle {
	t.Helper()
	at := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
	c := &runbooks.Cycle{ID: id, Tenant: "acme-cu", Requester: "U-REQ", Created: at.Add(-4 * time.Hour), Status: runbooks.StatusCompleted,
		Stages: []runbooks.Stage{{Name: "preflight", Kind: runbooks.KindPreflight, Phase: runbooks.PhaseDone},
			{Name: "report", Kind: runbooks.KindReport, Phase: runbooks.PhaseDone}}, Revision: 3}
	rep, err := (&reports.Dir{Path: t.TempDir(), Now: func() time.Time { return at }}).Report(context.Background(), runbooks.ReportInput{
		Cycle: c, Hosts: []runbooks.Host{{ID: "i-1", Name: "acme-web-01", Cloud: runbooks.AWS, Account: "111", Env: "nonprod"}},
		AuditEntries: 2, AuditHead: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	c.Report = &rep
	return c
}

func reportEvents(c *runbooks.Cycle) []runbooks.Event {
	return []runbooks.Event{
		{Seq: 1, Cycle: c.ID, Tenant: c.Tenant, Type: runbooks.EvCycleStarted, Actor: "U-REQ"},
		{Seq: 2, Cycle: c.ID, Tenant: c.Tenant, Stage: "report", Type: runbooks.EvReportDone, Actor: runbooks.ActorSystem,
			Data: map[string]string{"location": c.Report.Location, "sha256": c.Report.SHA256}},
		{Seq: 3, Cycle: c.ID, Tenant: c.Tenant, Type: runbooks.EvCycleCompleted, Actor: runbooks.ActorSystem},
	}
}

// TestReportCommandRepostsIntoTheThread: the report's PDF and CSVs reach
// the cycle's thread when the report is done, /patch report (by anyone)
// posts them again, files kept in S3 are linked rather than uploaded, and
// a cycle without a report gets an ephemeral answer and nothing posted.
func TestReportCommandRepostsIntoTheThread(t *testing.T) {
	sb, api, channel, _ := startSandbox(t)
	n := NewNotifier(api, openBolt(t), NotifierOptions{Channel: channel, UpdateInterval: 10 * time.Millisecond, Log: quietLog(nil)})
	startNotifier(t, n)

	local := reportedCycle(t, "acme-cu-20261122-0200-aaaaaa")
	s3 := reportedCycle(t, "acme-cu-20261122-0200-bbbbbb")
	for i := range s3.Report.Files {
		f := &s3.Report.Files[i]
		f.Location = "s3://evidence/" + s3.ID + "/" + f.Name
		f.URL = "https://evidence.s3.amazonaws.com/" + s3.ID + "/" + f.Name + "?X-Amz-Signature=abc"
	}
	for _, c := range []*runbooks.Cycle{local, s3} {
		if err := n.CycleChanged(context.Background(), c, reportEvents(c)); err != nil {
			t.Fatal(err)
		}
	}
	waitIdle(t, n)
	threadFiles := func(c *runbooks.Cycle) map[string]int {
		got := map[string]int{}
		rec := readChat(t, n.store, c.ID)
		for _, f := range sb.Files() {
			if f.ThreadTS == rec.TS && f.Channel == channel && len(f.Content) > 0 {
				got[f.Name]++
			}
		}
		return got
	}
	want := []string{local.ID + "-compliance.pdf", local.ID + "-report-hosts.csv", local.ID + "-report-approvals.csv", local.ID + "-report-events.csv"}
	for _, name := range want {
		if threadFiles(local)[name] != 1 {
			t.Errorf("after the report: %v in the thread, want one %s", threadFiles(local), name)
		}
	}
	if len(threadFiles(s3)) != 0 {
		t.Errorf("files kept in S3 were uploaded: %v", threadFiles(s3))
	}

	r := newRig(t, HandlerOptions{Reports: n})
	running := &runbooks.Cycle{ID: "acme-cu-20261122-0200-cccccc", Tenant: "acme-cu", Status: runbooks.StatusRunning}
	unshown := reportedCycle(t, "acme-cu-20261122-0200-dddddd")
	for _, c := range []*runbooks.Cycle{local, s3, running, unshown} {
		r.eng.cycles[c.ID] = c
	}
	if got := r.command(t, "U-ANYONE", "report "+local.ID); !strings.Contains(got, "Re-posted the PDF and the CSV files into the cycle's thread") {
		t.Errorf("reply: %s", got)
	}
	for _, name := range want {
		if threadFiles(local)[name] != 2 {
			t.Errorf("after /patch report: %v in the thread, want %s twice", threadFiles(local), name)
		}
	}
	if got := r.command(t, "U-ANYONE", "report "+s3.ID); !strings.Contains(got, "Re-posted") {
		t.Errorf("reply: %s", got)
	}
	var links int
	for _, m := range sb.Messages(channel) {
		for _, rep := range m.Replies {
			if strings.Contains(rep.Text, "X-Amz-Signature=abc") && strings.Contains(rep.Text, "-compliance.pdf") && strings.Contains(rep.Text, "hosts.csv") {
				links++
			}
		}
	}
	if links != 2 {
		t.Errorf("%d thread messages link the S3 report, want 2 (report done, /patch report)", links)
	}
	before := len(sb.Files())
	if got := r.command(t, "U-ANYONE", "report "+running.ID); !strings.Contains(got, "has no report yet") {
		t.Errorf("reply for a running cycle: %s", got)
	}
	if got := r.command(t, "U-ANYONE", "report "+unshown.ID); !strings.Contains(got, "no message in Slack yet") {
		t.Errorf("reply for a cycle never shown: %s", got)
	}
	if after := len(sb.Files()); after != before {
		t.Errorf("%d files posted for cycles without a report or a thread", after-before)
	}
}
