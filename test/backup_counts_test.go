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
