package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// RequestRollback answers with the hosts asked for, each returning to a
// made-up image, or refuses a host called "nobackup" as the engine would.
func (f *fakeEngine) RequestRollback(_ context.Context, req runbooks.RollbackRequest) (*runbooks.Rollback, error) {
	rb := &runbooks.Rollback{ID: "RB-acme-cu-1", Cycle: req.Cycle, Env: req.Env, Requester: req.Requester, MinApprovals: 2, FourEyes: true}
	for _, h := range req.Hosts {
		if h == "nobackup" {
			return nil, runbooks.Errorf(runbooks.CodeNoBackup, "Cycle %s took no pre-patch backup of nobackup in %s; nothing was requested.", req.Cycle, req.Env)
		}
		rb.Hosts = append(rb.Hosts, runbooks.RollbackHost{Host: runbooks.Host{ID: "i-" + h, Name: h, Cloud: runbooks.AWS},
			Backup: runbooks.HostBackup{Kind: runbooks.BackupImage, ID: "ami-" + h, Cycle: req.Cycle, TakenAt: time.Date(2026, 11, 22, 2, 5, 0, 0, time.UTC)}})
	}
	return rb, nil
}

var _ Rollbacks = (*fakeEngine)(nil)

func TestRollbackCommandListsEachHostsBackup(t *testing.T) {
	r := newRig(t, HandlerOptions{})
	got := r.command(t, "U-REQ", "rollback acme-cu-1 production web-01 `db-01`")
	for _, w := range []string{
		"Requested rollback `RB-acme-cu-1` of 2 host(s) in production to cycle `acme-cu-1`'s pre-patch backups",
		"2 approval(s) from production approvers other than you (four eyes)",
		"• web-01 (aws) → image `ami-web-01` taken 2026-11-22 02:05:00Z by `acme-cu-1`",
		"• db-01 (aws) → image `ami-db-01`",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("reply:\n%s\nwant it to contain %q", got, w)
		}
	}
	if got := r.command(t, "U-REQ", "rollback acme-cu-1 production nobackup"); !strings.Contains(got, "took no pre-patch backup of nobackup") {
		t.Errorf("refusal reply %q", got)
	}
}
