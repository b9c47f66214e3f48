package test

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// TestBackupGateNamesWhatItMade: the backup gate, its event and the stage
// record count images and disk snapshots by kind (an AWS host's backup is
// an image, an Azure or GCP host's a disk snapshot), not "n/n hosts".
func TestBackupGateNamesWhatItMade(t *testing.T) {
	b := backends()[0]
	ctx := context.Background()
	tn := gateTenant().Name
	h := newGateHarness(t, b, sim.Faults{})
	c := h.finish(ctx, h.start(ctx, tn).ID)
	for _, s := range c.Stages {
		if s.Kind != runbooks.KindEnvironment {
			continue
		}
		hosts, err := h.fleet.Peek(tn + "/" + s.Env)
		if err != nil {
			t.Fatal(err)
		}
		var want runbooks.Made
		for _, host := range hosts {
			if host.Cloud == runbooks.AWS {
				want.Images++
			} else {
				want.DiskSnapshots++
			}
		}
		if s.Backup.Made != want || want.Total() == 0 {
			t.Errorf("%s: backup made %+v, want %+v", s.Name, s.Backup.Made, want)
		}
		var summary string
		for _, g := range s.Gates {
			if g.Name == "backup" {
				summary = g.Summary
			}
		}
		if summary != want.String()+" made, 0 failed" || strings.Contains(summary, "/") {
			t.Errorf("%s: backup gate says %q, want %q", s.Name, summary, want.String()+" made, 0 failed")
		}
		done := stageEvents(h.events(ctx, c.ID), s.Name, runbooks.EvBackupDone)
		if len(done) != 1 || done[0].Detail != "backup done: "+want.String() {
			t.Errorf("%s: backup.done %+v, want %q", s.Name, done, "backup done: "+want.String())
		}
	}
}

// TestBackupGateExclusions: a failed backup stops the stage before any
// patch; proceeding without the host patches the others only.
func TestBackupGateExclusions(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			bad := hostName(tn, "nonprod", "app-01")
			h := newGateHarness(t, b, sim.Faults{BackupFail: []string{bad}})
			c := h.start(ctx, tn)
			c = h.runUntil(ctx, c.ID, "nonprod fails", halted)
			np := failedStage(t, c, "nonprod", runbooks.PhaseBackup)
			if len(np.Failure.Findings) != 1 || np.Failure.Findings[0].HostName != bad || !strings.Contains(np.Failure.Findings[0].Reason, "backup failed") {
				t.Fatalf("backup findings %+v, want only %s", np.Failure.Findings, bad)
			}
			scope := tn + "/nonprod"
			if st := h.fleet.Stats(); st.Patches.ByScope[scope] != 0 {
				t.Fatalf("nonprod patched %d times behind a failed backup", st.Patches.ByScope[scope])
			}
			h.refused(ctx, c.ID, "nonprod", runbooks.Resume, alice, runbooks.CodeConflict)

			c = h.mustDecide(ctx, c.ID, "nonprod", runbooks.Exclude, alice)
			if np, _ = c.Stage("nonprod"); np.Phase != runbooks.PhasePatch || len(np.Exclusions) != 1 || np.Exclusions[0].HostName != bad || c.Scope.Excluded != 1 {
				t.Fatalf("after exclusion: nonprod %s, exclusions %v, scope %+v", np.Phase, np.Exclusions, c.Scope)
			}
			c = h.finish(ctx, c.ID)
			st := h.fleet.Stats()
			if st.Backups.ByScope[scope] != 1 || st.Patches.ByScope[scope] != 1 || st.Patches.Duplicates != 0 {
				t.Errorf("nonprod backups %d, patches %d, duplicates %d; want 1, 1, 0", st.Backups.ByScope[scope], st.Patches.ByScope[scope], st.Patches.Duplicates)
			}
			started := stageEvents(h.events(ctx, c.ID), "nonprod", runbooks.EvPatchStarted)
			if len(started) != 1 || !strings.HasPrefix(started[0].Detail, "patch started on 2 host(s)") {
				t.Errorf("nonprod patch.started %+v, want one on 2 hosts", started)
			}
			if c.Scope.Excluded != 1 {
				t.Errorf("final scope %+v, want 1 excluded", c.Scope)
			}
			checkPatched(t, h.fleet, []string{hostName(tn, "nonprod", "web-01"), hostName(tn, "nonprod", "db-01")}, []string{bad})
			checkIncident(t, st, runbooks.IncidentKey(c.ID, "nonprod"), sim.IncidentResolved, 1, 1, 1)
		})
	}
}
