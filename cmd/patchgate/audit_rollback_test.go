package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/runbooks"
)

// TestRollbackAuditStreamsVerifyAndExport: a rollback's events, its
// refused decisions and a refused request are audit evidence like a
// cycle's: `audit verify` checks them (and finds the rollback's stream
// deleted with its head and index entry), `audit export --cycle RB-…`
// writes the rollback's streams and the cycle's export carries them.
func TestRollbackAuditStreamsVerifyAndExport(t *testing.T) {
	for _, backend := range []string{"bolt", "redis"} {
		t.Run(backend, func(t *testing.T) {
			f := newAuditFixture(t, backend)
			ctx := context.Background()
			cli := func(args ...string) (int, string) {
				var out bytes.Buffer
				code := run(ctx, append(args, "--config", f.runCfg), &out, &out)
				return code, out.String()
			}
			if code, out := cli("rollback", "request", f.cycle, "production", "--as", "U0OUTSIDE1"); code == 0 {
				t.Fatalf("an outsider's rollback request was accepted: %s", out)
			}
			code, out := cli("rollback", "request", f.cycle, "production", "--as", "U0REQ00001", "--reason", "regression")
			if code != 0 {
				t.Fatalf("rollback request: exit %d: %s", code, out)
			}
			rbID := strings.Fields(strings.TrimPrefix(out, "requested "))[0]

			cfg, err := config.Load(f.runCfg)
			if err != nil {
				t.Fatal(err)
			}
			a, err := build(ctx, cfg, wiring{reports: f.reports})
			if err != nil {
				t.Fatal(err)
			}
			e := a.engine
			if _, err := e.Decide(ctx, runbooks.Decision{Cycle: rbID, Action: runbooks.Approve, Actor: "U0REQ00001"}); runbooks.ErrorCode(err) != runbooks.CodeForbidden {
				t.Fatalf("approval by the requester, no approver: %v, want forbidden", err)
			}
			for _, who := range []string{"U0ALICE001", "U0BOB00002"} {
				if _, err := e.Decide(ctx, runbooks.Decision{Cycle: rbID, Action: runbooks.Approve, Actor: who}); err != nil {
					t.Fatal(err)
				}
			}
			tickUntil(t, e, "the rollback to end", func() bool {
				open, err := e.Rollbacks(ctx, false)
				return err == nil && len(open) == 0
			})
			rb, err := e.GetRollback(ctx, rbID)
			a.store.Close()
			if err != nil || rb.Status != runbooks.RollbackCompleted {
				t.Fatalf("rollback %s: %v %v", rbID, rb, err)
			}

			if code, out := f.verify(t); code != 0 || !strings.Contains(out, "audit OK") {
				t.Fatalf("audit verify: exit %d:\n%s", code, out)
			}
			stream, refusals := runbooks.RollbackAuditStream(rbID), runbooks.RefusalStream(rbID)
			code, out = cli("audit", "export", "--cycle", rbID)
			if code != 0 || !strings.Contains(out, `"stream":"`+stream+`"`) || !strings.Contains(out, `"stream":"`+refusals+`"`) ||
				!strings.Contains(out, runbooks.EvRollbackCompleted) {
				t.Fatalf("audit export --cycle %s: exit %d:\n%s", rbID, code, tail(out, 2000))
			}
			if code, out = cli("audit", "export", "--cycle", f.cycle); code != 0 || !strings.Contains(out, `"stream":"`+stream+`"`) {
				t.Fatalf("the cycle's export lacks its rollback's stream: exit %d", code)
			}
			if code, out = cli("audit", "export", "--tenant", "acme-cu"); code != 0 || !strings.Contains(out, runbooks.EvRollbackRefused) {
				t.Fatalf("the tenant's refusals lack the refused rollback request: exit %d:\n%s", code, tail(out, 2000))
			}

			n := len(f.raw.read(t, stream))
			f.raw.drop(t, stream)
			code, out = f.verify(t)
			if code != 1 || !strings.Contains(out, "BROKEN "+stream+" at seq 1") || !strings.Contains(out, "deleted") || !strings.Contains(out, "rollback "+rbID) {
				t.Fatalf("verify after deleting the rollback's %d-entry stream: exit %d:\n%s", n, code, out)
			}
		})
	}
}
