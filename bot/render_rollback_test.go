package bot

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

func rendered(t *testing.T, m message) string {
	t.Helper()
	b, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	return m.Text + "\n" + string(b)
}

// TestRollbackMessage: a rollback's root message is titled as one, offers
// Approve/Reject while it awaits approval, Retry/Reject after it failed, a
// Done button per host whose manual procedure waits, and its thread lists
// which backup each host returns to.
func TestRollbackMessage(t *testing.T) {
	at := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	rb := &runbooks.Rollback{ID: "RB-acme-cu-20261122-0300-abc123", Tenant: "acme-cu", Cycle: "acme-cu-1", Env: "production",
		Requester: "U-REQ", Created: at, Status: runbooks.RollbackAwaitingApproval, MinApprovals: 2, FourEyes: true, Journal: runbooks.Journal{Revision: 1},
		Hosts: []runbooks.RollbackHost{
			{Host: runbooks.Host{ID: "i-1", Name: "web-01", Cloud: runbooks.AWS}, Backup: runbooks.HostBackup{Kind: runbooks.BackupImage, ID: "ami-1"}},
			{Host: runbooks.Host{ID: "db-1", Name: "db-01", Cloud: runbooks.AWS}, Backup: runbooks.HostBackup{Kind: runbooks.BackupDBSnapshot, ID: "snap-1"}},
		}}
	v := rootView{Tenant: "Acme Credit Union", Now: at}
	got := rendered(t, renderRoot(rollbackView(rb), v))
	for _, w := range []string{"Rollback · Acme Credit Union", `"action_id":"patchgate.approve"`, "Approve rollback", `"action_id":"patchgate.reject"`} {
		if !strings.Contains(got, w) {
			t.Errorf("awaiting approval: %s\nwant %q", got, w)
		}
	}
	if strings.Contains(got, "patchgate.halt") {
		t.Errorf("a rollback offers Halt, which it does not take: %s", got)
	}

	rb.Status = runbooks.RollbackRestoring
	rb.Hosts[1].Restore = runbooks.RestoreOp{Tag: "t", Handle: "t", Manual: []string{"restore snap-1 to a new instance", "move the endpoint"}}
	got = rendered(t, renderRoot(rollbackView(rb), v))
	if !strings.Contains(got, "Done: db-01") || !strings.Contains(got, `"action_id":"patchgate.confirm-manual"`) || !strings.Contains(got, `\"s\":\"db-1\"`) {
		t.Errorf("manual procedure waiting: %s\nwant a Done button for db-01", got)
	}

	rb.Status, rb.Failure = runbooks.RollbackFailed, &runbooks.Failure{Reason: "restore of web-01 failed"}
	got = rendered(t, renderRoot(rollbackView(rb), v))
	if !strings.Contains(got, "Retry rollback") || strings.Contains(got, "proceed-with-exclusions") {
		t.Errorf("failed: %s\nwant Retry and no Proceed-without", got)
	}

	evs := []runbooks.Event{{Seq: 1, Type: runbooks.EvRollbackRequested, Actor: "U-REQ", Stage: rollbackStage,
		Detail: "rollback of 2 host(s) in production requested: regression",
		Data:   map[string]string{"backups": "web-01 (i-1) → image ami-1 taken 2026-11-22 02:05Z by acme-cu-1"}}}
	if !notable(rollbackView(rb), evs[0]) {
		t.Fatal("a rollback request is not worth a thread message")
	}
	posts := renderThread(rollbackView(rb), evs)
	if len(posts) != 1 || !strings.Contains(rendered(t, posts[0].msg), "web-01 (i-1) → image ami-1 taken 2026-11-22 02:05Z by acme-cu-1") {
		t.Errorf("thread: %+v\nwant the host's backup listed", posts)
	}
}

// TestRollbackButtonOnFailedVerify: a stage whose verify gate failed after
// its backups offers "Roll back N hosts"; a failure before the backups
// does not.
func TestRollbackButtonOnFailedVerify(t *testing.T) {
	c := &runbooks.Cycle{ID: "acme-cu-1", Tenant: "acme-cu", Status: runbooks.StatusHalted, Revision: 9, Stages: []runbooks.Stage{
		{Name: "staging", Kind: runbooks.KindEnvironment, Env: "staging", Phase: runbooks.PhaseFailed, Backup: runbooks.Op{Handle: "h", Done: true},
			Failure: &runbooks.Failure{Phase: runbooks.PhaseVerify, Reason: "verification found 2 problem(s) after patching",
				Findings: []runbooks.Finding{{HostID: "i-1"}, {HostID: "i-2"}}}}}}
	v := rootView{Tenant: "Acme", Now: time.Now()}
	got := rendered(t, renderRoot(c, v))
	if !strings.Contains(got, "Roll back 2 hosts") || !strings.Contains(got, `"action_id":"patchgate.rollback"`) {
		t.Errorf("verify failed: %s\nwant a Roll back 2 hosts button", got)
	}
	c.Stages[0].Failure.Phase = runbooks.PhaseSensors
	if got := rendered(t, renderRoot(c, v)); strings.Contains(got, "patchgate.rollback") {
		t.Errorf("a sensor-gate failure (nothing patched) offers a rollback: %s", got)
	}
	bv, err := DecodeButtonValue(EncodeButtonValue(ButtonValue{Cycle: "acme-cu-1", Stage: "staging", Action: runbooks.RollBack, Revision: 9}))
	if err != nil || bv.Action != runbooks.RollBack {
		t.Errorf("the rollback button's value does not decode: %v %+v", err, bv)
	}
}
