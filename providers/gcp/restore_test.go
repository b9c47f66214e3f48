package gcp

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
)

// TestRollbackGCPDiskSwap: each VM's pre-patch boot-disk snapshot is listed;
// a restore makes a disk from it (disks.insert), stops the VM, detaches the
// patched boot disk, attaches the restored one as boot disk and starts the
// VM. Replaying every poll from the handle before it (a crash between a
// step being sent and its handle being stored) and a 503 on attachDisk
// send no step twice, and every VM ends with the restored boot disk.
func TestRollbackGCPDiskSwap(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	p := newProvider(t, srv, clk)
	ctx := context.Background()
	hosts, err := p.Hosts(ctx, tenant, prodDR)
	if err != nil {
		t.Fatal(err)
	}
	gcp := managed(hosts)
	bh, err := p.StartBackup(ctx, req("c-2026-11/production/backup/0", gcp))
	if err != nil {
		t.Fatal(err)
	}
	pollBackup(t, p, bh)
	backups, err := p.PrePatchBackups(ctx, bh)
	if err != nil {
		t.Fatal(err)
	}
	if len(backups) != len(gcp) {
		t.Fatalf("backups %+v, want one per VM", backups)
	}
	for _, b := range backups {
		if b.Kind != runbooks.BackupDiskSnapshot || b.TakenAt.IsZero() || b.Cycle != "c-2026-11" || !strings.HasPrefix(b.ID, "pg-") {
			t.Errorf("backup %+v: want a snapshot, when it was taken and the cycle", b)
		}
	}
	byHost := map[string]runbooks.HostBackup{}
	for _, b := range backups {
		byHost[b.HostID] = b
	}
	srv.Fail("compute.instances.attachDisk", 503)
	for i, h := range gcp {
		r := runbooks.RestoreRequest{Tag: "RB-1/" + h.ID + "/0", Rollback: "RB-1", Tenant: "acme-cu", Env: "production", Host: h, Backup: byHost[h.ID]}
		if _, found, err := p.FindRestore(ctx, r); err != nil || found {
			t.Fatalf("%s: FindRestore before any restore: %v, %v", h.Name, found, err)
		}
		st, err := p.StartRestore(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 { // the insert's answer is lost: the disk is found by name
			found, ok, err := p.FindRestore(ctx, r)
			if err != nil || !ok {
				t.Fatalf("FindRestore after a lost answer: %v, %v", ok, err)
			}
			st = found
		}
		prev := st.Handle
		errs := 0
		for n := 0; !st.Done && st.Failed == "" && n < 60; n++ {
			next, err := p.PollRestore(ctx, r, st.Handle)
			if err != nil {
				errs++ // the injected 503: the engine polls again
				continue
			}
			if i == 1 && next.Handle != st.Handle && st.Handle != prev {
				// A crash lost the new handle: poll from the one before.
				prev, next.Handle = st.Handle, st.Handle
			} else {
				prev = st.Handle
			}
			st = next
		}
		if !st.Done || st.Failed != "" {
			t.Fatalf("%s: restore ended %+v", h.Name, st)
		}
		if i == 0 && errs != 1 {
			t.Errorf("%s: %d poll errors, want the one injected 503", h.Name, errs)
		}
		for _, kind := range []string{"stop", "detachDisk", "attachDisk", "start"} {
			if n := srv.Sent(h.Name, kind); n != 1 {
				t.Errorf("%s: %s sent %d times, want exactly once", h.Name, kind, n)
			}
		}
		if got := srv.BootDisk(h.Account, h.Region, h.Name); got != restoredDisk(r) {
			t.Errorf("%s: boot disk %q, want the restored %q", h.Name, got, restoredDisk(r))
		}
	}
	if n := srv.Sent("", "create-disk"); n != len(gcp) {
		t.Errorf("%d disks made, want %d (one per VM)", n, len(gcp))
	}
}
