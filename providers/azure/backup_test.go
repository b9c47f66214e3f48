package azure

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/azure/settings"
	"github.com/patchgate/patchgate/runbooks"
)

func TestBackupSnapshotsEachVMsOSDisk(t *testing.T) {
	f := newFleet(t)
	p := f.provider(t)
	req := f.request(t, p, "c-2026-11/production/backup/1", "vm-web-1", "vm-web-2", "arc-db-1")
	ctx := context.Background()
	h, err := p.StartBackup(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	st := until(t, func() (runbooks.OpStatus, error) { return p.BackupStatus(ctx, h) })

	snaps := f.srv.Snapshots()
	if len(snaps) != 2 {
		t.Fatalf("got %d snapshots, want one per VM: %+v", len(snaps), snaps)
	}
	disks := map[string]bool{}
	for _, s := range snaps {
		disks[strings.ToLower(s.Source)] = true
		if s.CreateOption != "Copy" || !s.Incremental || s.State != "Succeeded" {
			t.Errorf("snapshot %s: createOption %s incremental %v state %s", s.Name, s.CreateOption, s.Incremental, s.State)
		}
		if s.Tags[tagOp] != req.Tag || s.Tags[tagCycle] != req.Cycle || s.Tags[tagStage] != req.Stage {
			t.Errorf("snapshot %s tags = %v", s.Name, s.Tags)
		}
		if !strings.Contains(s.ID, "/resourceGroups/"+rgA+"/") {
			t.Errorf("snapshot %s not in the VM's resource group", s.ID)
		}
	}
	for _, id := range []string{f.web1, f.web2} {
		vm, _ := f.srv.VMState(id)
		if !disks[strings.ToLower(vm.OSDiskID())] {
			t.Errorf("no snapshot of %s's OS disk %s", vm.Name, vm.OSDiskID())
		}
	}
	// The Arc server has no managed disk: by default that is a finding, so
	// the backup gate stops until someone decides.
	if st.Total != 3 || st.Succeeded != 2 || st.Failed != 1 {
		t.Errorf("status = %+v, want 3 total, 2 succeeded, 1 failed", st)
	}
	if fd, ok := findingFor(st.Findings, "arc-db-1"); !ok || !strings.Contains(fd.Reason, "no Azure managed disk") {
		t.Errorf("findings = %+v, want arc-db-1 without a managed disk", st.Findings)
	}
}

func TestBackupCanRecordArcSkips(t *testing.T) {
	f := newFleet(t)
	p := f.provider(t, func(c *Config) { c.ArcBackup = settings.ArcBackupSkip })
	ctx := context.Background()
	h, err := p.StartBackup(ctx, f.request(t, p, "tag-skip", "vm-web-1", "arc-db-1"))
	if err != nil {
		t.Fatal(err)
	}
	st := until(t, func() (runbooks.OpStatus, error) { return p.BackupStatus(ctx, h) })
	if st.Total != 2 || st.Succeeded != 2 || st.Failed != 0 || len(st.Findings) != 0 {
		t.Errorf("status = %+v, want both done and no findings", st)
	}
	if st.Made != (runbooks.Made{DiskSnapshots: 1}) {
		t.Errorf("made %+v, want the VM's one disk snapshot and nothing for the skipped Arc server", st.Made)
	}
	if !strings.Contains(h, arcNoDisk) {
		t.Errorf("handle %s does not record why the Arc server has no snapshot", h)
	}
}

// A restart after StartBackup finds the snapshots by tag and creates none
// twice.
func TestFindBackupRecoversSnapshotsByTag(t *testing.T) {
	f := newFleet(t)
	ctx := context.Background()
	p1 := f.provider(t)
	req := f.request(t, p1, "c-2026-11/production/backup/1", "vm-web-1", "vm-web-2")
	if _, err := p1.StartBackup(ctx, req); err != nil {
		t.Fatal(err)
	}
	// The handle was lost with the process; a new provider looks again.
	p2 := f.provider(t)
	if _, found, err := p2.FindBackup(ctx, f.request(t, p2, "another-tag", "vm-web-1")); err != nil || found {
		t.Fatalf("FindBackup of another tag: found %v, err %v; want nothing", found, err)
	}
	h, found, err := p2.FindBackup(ctx, req)
	if err != nil || !found {
		t.Fatalf("FindBackup: found %v, err %v", found, err)
	}
	st := until(t, func() (runbooks.OpStatus, error) { return p2.BackupStatus(ctx, h) })
	if st.Succeeded != 2 || st.Failed != 0 {
		t.Errorf("status = %+v", st)
	}
	for _, s := range f.srv.Snapshots() {
		if n := f.srv.Count("PUT", s.ID); n != 1 {
			t.Errorf("snapshot %s was PUT %d times, want once", s.Name, n)
		}
	}
	if n := len(f.srv.Snapshots()); n != 2 {
		t.Errorf("%d snapshots, want 2", n)
	}
}

func TestFindBackupCompletesAPartialStart(t *testing.T) {
	f := newFleet(t)
	ctx := context.Background()
	p := f.provider(t)
	full := f.request(t, p, "tag-partial", "vm-web-1", "vm-web-2")
	partial := full
	partial.Hosts = full.Hosts[:1] // the crash came after the first snapshot
	if _, err := p.StartBackup(ctx, partial); err != nil {
		t.Fatal(err)
	}
	h, found, err := f.provider(t).FindBackup(ctx, full)
	if err != nil || !found {
		t.Fatalf("FindBackup: found %v, err %v", found, err)
	}
	st := until(t, func() (runbooks.OpStatus, error) { return p.BackupStatus(ctx, h) })
	if st.Total != 2 || st.Succeeded != 2 || len(f.srv.Snapshots()) != 2 {
		t.Errorf("status %+v with %d snapshots, want both VMs backed up once", st, len(f.srv.Snapshots()))
	}
}
