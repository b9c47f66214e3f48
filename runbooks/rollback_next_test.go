package runbooks

import (
	"testing"
	"time"
)

func testRollback(status RollbackStatus, hosts ...RestoreOp) *Rollback {
	r := &Rollback{ID: "RB-acme-1", Tenant: "acme", Status: status, MinApprovals: 2, Journal: Journal{Revision: 3, Notified: 3}}
	for i, op := range hosts {
		r.Hosts = append(r.Hosts, RollbackHost{Host: Host{ID: string(rune('a' + i))}, Restore: op})
	}
	return r
}

func TestNextRollback(t *testing.T) {
	sent := RestoreOp{Tag: "t", Handle: "h", Step: "stop"}
	done := RestoreOp{Tag: "t", Handle: "h", Done: true}
	manual := RestoreOp{Tag: "t", Handle: "t", Manual: []string{"move the endpoint"}}
	failed := func(r *Rollback) *Rollback {
		r.Failure = &Failure{Reason: "boom"}
		return r
	}
	paged := func(r *Rollback) *Rollback {
		r.Incident.Triggered = true
		return r
	}
	marked := func(r *Rollback) *Rollback {
		r.Marked = true
		return r
	}
	halting := func(r *Rollback) *Rollback {
		r.Halt = &Halt{By: "U0ALICE001", Reason: "data loss"}
		return r
	}
	outbox := func(r *Rollback) *Rollback {
		r.Outbox = []Event{{Seq: 4}}
		r.Revision = 4
		return r
	}
	tests := []struct {
		name string
		r    *Rollback
		want Action
	}{
		{"waits for its approvers", testRollback(RollbackAwaitingApproval, RestoreOp{}), Action{Kind: ActWait, Stage: -1, Reason: "awaiting approval 0/2"}},
		{"undelivered events are flushed while it waits", outbox(testRollback(RollbackAwaitingApproval)), Action{Kind: ActFlush, Stage: -1, Reason: "awaiting approval 0/2"}},
		{"sends the first restore", testRollback(RollbackRestoring, RestoreOp{}, RestoreOp{}), Action{Kind: ActRestoreStart, Stage: 0}},
		{"sends every restore before polling any", testRollback(RollbackRestoring, sent, RestoreOp{}), Action{Kind: ActRestoreStart, Stage: 1}},
		{"polls a restore whose handle is stored", testRollback(RollbackRestoring, done, sent), Action{Kind: ActRestorePoll, Stage: 1}},
		{"a manual procedure waits for a person", testRollback(RollbackRestoring, done, manual), Action{Kind: ActWait, Stage: -1, Reason: "1 host(s) wait for their manual procedure"}},
		{"polls others while a manual procedure waits", testRollback(RollbackRestoring, manual, sent), Action{Kind: ActRestorePoll, Stage: 1}},
		{"all restored: verify next", testRollback(RollbackRestoring, done, done), Action{Kind: ActRestoresDone, Stage: -1}},
		{"a halt starts no restore but polls the running one", halting(testRollback(RollbackRestoring, sent, RestoreOp{})), Action{Kind: ActRestorePoll, Stage: 0}},
		{"a halt waits for a running manual procedure", halting(testRollback(RollbackRestoring, manual, RestoreOp{})), Action{Kind: ActWait, Stage: -1, Reason: "1 host(s) wait for their manual procedure"}},
		{"halted once nothing runs", halting(testRollback(RollbackRestoring, done, RestoreOp{})), Action{Kind: ActRollbackHalt, Stage: -1}},
		{"a halt with every restore done verifies", halting(testRollback(RollbackRestoring, done, done)), Action{Kind: ActRestoresDone, Stage: -1}},
		{"a halted rollback waits for a person", halting(testRollback(RollbackHalted, done, RestoreOp{})), Action{Kind: ActWait, Stage: -1, Reason: "halted: data loss"}},
		{"verifies", testRollback(RollbackVerifying, done), Action{Kind: ActRollbackVerify, Stage: -1}},
		{"a failure pages first", failed(testRollback(RollbackFailed, sent)), Action{Kind: ActPage, Stage: -1}},
		{"a paged failure waits for a person", paged(failed(testRollback(RollbackFailed, sent))), Action{Kind: ActWait, Stage: -1, Reason: "failed: boom"}},
		{"a retried rollback resolves its page", paged(testRollback(RollbackRestoring, sent)), Action{Kind: ActResolve, Stage: -1}},
		{"a rejected rollback resolves its page", paged(failed(testRollback(RollbackRejected, sent))), Action{Kind: ActResolve, Stage: -1}},
		{"a completed rollback marks its cycle", testRollback(RollbackCompleted, done), Action{Kind: ActMarkCycle, Stage: -1}},
		{"a finished rollback is archived", marked(testRollback(RollbackCompleted, done)), Action{Kind: ActArchive, Stage: -1}},
		{"a finished rollback delivers first", outbox(marked(testRollback(RollbackCompleted, done))), Action{Kind: ActFlush, Stage: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NextRollback(tt.r, t0.Add(time.Hour)); got != tt.want {
				t.Errorf("NextRollback = %+v, want %+v", got, tt.want)
			}
		})
	}
}
