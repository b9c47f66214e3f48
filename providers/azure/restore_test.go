package azure

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

// TestRollbackAzureDiskSwap: each VM's pre-patch OS-disk snapshot is
// listed; a restore makes a managed disk from it (Disks_CreateOrUpdate,
// Copy), deallocates the VM, swaps its OS disk (VirtualMachines_Update) and
// starts it, each operation resumed from its token by a fresh provider (a
// restart) and polled from the handle before it (a crash before the new
// handle was stored) without any step sent twice; an Arc server gets a
// manual procedure, clearly marked.
func TestRollbackAzureDiskSwap(t *testing.T) {
	f := newFleet(t)
	p := f.provider(t)
	ctx := context.Background()
	req := f.request(t, p, "c-2026-11/production/backup/1", "vm-web-1", "vm-web-2", "arc-db-1")
	bh, err := p.StartBackup(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	until(t, func() (runbooks.OpStatus, error) { return p.BackupStatus(ctx, bh) })
	backups, err := p.PrePatchBackups(ctx, bh)
	if err != nil {
		t.Fatal(err)
	}
	if len(backups) != 2 {
		t.Fatalf("backups %+v, want the two VMs' snapshots (the Arc server has none)", backups)
	}
	hosts := f.hosts(t, p)
	for i, b := range backups {
		if b.Kind != runbooks.BackupDiskSnapshot || b.Cycle != "c-2026-11" || !strings.Contains(b.ID, "/snapshots/") {
			t.Errorf("backup %+v", b)
		}
		h := hosts[b.HostName]
		r := runbooks.RestoreRequest{Tag: "RB-1/" + h.Name + "/0", Rollback: "RB-1", Tenant: "acme-cu", Env: "production", Host: h, Backup: b}
		if _, found, err := p.FindRestore(ctx, r); err != nil || found {
			t.Fatalf("%s: FindRestore before any restore: %v, %v", h.Name, found, err)
		}
		st, err := p.StartRestore(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 { // the PUT's answer is lost: the disk is found by name
			found, ok, err := f.provider(t).FindRestore(ctx, r)
			if err != nil || !ok {
				t.Fatalf("FindRestore after a lost answer: %v, %v", ok, err)
			}
			st = found
		}
		prev := st.Handle
		for n := 0; !st.Done && st.Failed == "" && n < 60; n++ {
			next, err := f.provider(t).PollRestore(ctx, r, st.Handle) // a fresh provider: a restart
			if err != nil {
				t.Fatal(err)
			}
			if i == 1 && next.Handle != st.Handle && st.Handle != prev {
				prev, next.Handle = st.Handle, st.Handle // the new handle was lost
			} else {
				prev = st.Handle
			}
			st = next
		}
		if !st.Done || st.Failed != "" {
			t.Fatalf("%s: restore ended %+v", h.Name, st)
		}
		for _, kind := range []string{"deallocate", "swap-os-disk", "start"} {
			if n := f.srv.Sent(h.Name, kind); n != 1 {
				t.Errorf("%s: %s sent %d times, want exactly once", h.Name, kind, n)
			}
		}
		vm, _ := f.srv.VMState(h.ID)
		if !strings.HasSuffix(strings.ToLower(vm.OSDiskID()), "/disks/"+strings.ToLower(restoredDiskName(h.Name, r.Tag))) || vm.PowerState != "running" {
			t.Errorf("%s: OS disk %s, power %s; want the restored disk, running", h.Name, vm.OSDiskID(), vm.PowerState)
		}
	}
	if n := f.srv.Sent("", "create-disk"); n != 2 {
		t.Errorf("%d disks made, want 2", n)
	}
	arc := hosts["arc-db-1"]
	st, err := p.StartRestore(ctx, runbooks.RestoreRequest{Tag: "RB-1/arc/0", Host: arc})
	if err != nil || len(st.Manual) == 0 || !strings.Contains(st.Step, "manual") {
		t.Errorf("Arc restore: %+v, %v; want a manual procedure", st, err)
	}
}
