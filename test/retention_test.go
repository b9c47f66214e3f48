package test

import (
	"context"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// TestBackupRetentionKeepsWhatOpenCyclesAndRollbacksNeed: fifteen days on,
// retention deletes the pre-patch backups of a finished cycle, except the
// ones an open rollback returns hosts to, and every backup of a cycle still
// open (its hosts' only way back); each deletion and each backup kept is
// audited, and the open rollback still restores from what was kept.
func TestBackupRetentionKeepsWhatOpenCyclesAndRollbacksNeed(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			h := newGateHarness(t, b, sim.Faults{}, withRestorer)
			e := h.engines[0]
			old := h.finish(ctx, h.start(ctx, tn).ID)
			rb, err := e.RequestRollback(ctx, runbooks.RollbackRequest{Cycle: old.ID, Env: "production", Requester: requester})
			if err != nil {
				t.Fatal(err)
			}
			open := h.start(ctx, tn)
			h.runUntil(ctx, open.ID, "production awaits approval", awaiting("production"))
			h.clock.Advance(15 * 24 * time.Hour)

			before, err := h.fleet.ListPrePatchBackups(ctx)
			if err != nil {
				t.Fatal(err)
			}
			res, err := e.PruneBackups(ctx, h.fleet, runbooks.DefaultBackupRetention, false)
			if err != nil {
				t.Fatal(err)
			}
			inRollback := map[string]bool{}
			for _, rh := range rb.Hosts {
				inRollback[rh.Backup.ID] = true
			}
			deleted := map[string]bool{}
			for _, d := range res.Deleted {
				deleted[d.ID] = true
			}
			for _, bk := range before {
				switch {
				case bk.Cycle == open.ID && deleted[bk.ID]:
					t.Errorf("deleted %s of %s, a backup of the open cycle %s", bk.ID, bk.HostID, open.ID)
				case inRollback[bk.ID] && deleted[bk.ID]:
					t.Errorf("deleted %s, which the open rollback %s returns %s to", bk.ID, rb.ID, bk.HostID)
				case bk.Cycle == old.ID && !inRollback[bk.ID] && !deleted[bk.ID]:
					t.Errorf("kept %s of the finished cycle (%s)", bk.ID, res.Kept[bk.ID])
				}
				if deleted[bk.ID] != h.fleet.BackupDeleted(bk.ID) {
					t.Errorf("%s: reported deleted %v, deleted in the cloud %v", bk.ID, deleted[bk.ID], h.fleet.BackupDeleted(bk.ID))
				}
			}
			if len(res.Deleted) == 0 || len(res.Kept) != len(before)-len(res.Deleted) || len(res.Failed) != 0 {
				t.Fatalf("retention deleted %d, kept %d, failed %d of %d", len(res.Deleted), len(res.Kept), len(res.Failed), len(before))
			}
			evs, err := e.RetentionEvents(ctx)
			if err != nil {
				t.Fatal(err)
			}
			count := map[string]int{}
			for _, ev := range evs {
				count[ev.Type]++
			}
			if count[runbooks.EvBackupDeleted] != len(res.Deleted) || count[runbooks.EvBackupKept] != len(res.Kept) {
				t.Errorf("retention audit %v; want %d deleted and %d kept", count, len(res.Deleted), len(res.Kept))
			}

			// The rollback kept its backups and still restores from them.
			for _, who := range []string{alice, bob} {
				if _, err := h.decideRollback(ctx, rb.ID, runbooks.Approve, who); err != nil {
					t.Fatal(err)
				}
			}
			if got := h.runRollback(ctx, rb.ID); got.Status != runbooks.RollbackCompleted {
				t.Fatalf("rollback after retention: %s %+v", got.Status, got.Failure)
			}
		})
	}
}
