package sim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

func TestFindByTag(t *testing.T) {
	ctx := context.Background()
	f := demoFleet(t, nil)
	req := request(t, f, "acme-cu", "nonprod", "c1/nonprod/patch/0")
	if _, found, err := f.FindPatch(ctx, req); found || err != nil {
		t.Fatalf("FindPatch before any start: found=%v err=%v", found, err)
	}
	h1, err := f.StartPatch(ctx, req)
	if err != nil || h1 != "sim-patch-000001" {
		t.Fatalf("StartPatch: %q %v", h1, err)
	}
	got, found, _ := f.FindPatch(ctx, req)
	if !found || got != h1 {
		t.Errorf("FindPatch: %q %v, want %s", got, found, h1)
	}
	if _, found, _ := f.FindBackup(ctx, req); found {
		t.Error("FindBackup found a patch's tag")
	}
	other := req
	other.Tag = "c1/nonprod/patch/1"
	if _, found, _ := f.FindPatch(ctx, other); found {
		t.Error("FindPatch found another attempt's tag")
	}

	// A double send creates a second operation, is counted, and Find keeps
	// returning the first.
	h2, _ := f.StartPatch(ctx, req)
	if h2 == h1 || h2 != "sim-patch-000002" {
		t.Errorf("second start returned %q", h2)
	}
	if got, _, _ := f.FindPatch(ctx, req); got != h1 {
		t.Errorf("FindPatch after a double send: %q, want the first, %s", got, h1)
	}
	hb, _ := f.StartBackup(ctx, request(t, f, "acme-cu", "staging", "c1/staging/backup/0"))
	s := f.Stats()
	want := OpStats{Starts: 2, Duplicates: 1, Found: 2,
		ByScope: map[string]int{"acme-cu/nonprod": 2}, ByTag: map[string]int{req.Tag: 2}}
	if s.Patches.Starts != want.Starts || s.Patches.Duplicates != want.Duplicates || s.Patches.Found != want.Found ||
		s.Patches.ByScope["acme-cu/nonprod"] != 2 || s.Patches.ByTag[req.Tag] != 2 {
		t.Errorf("patch stats %+v, want %+v", s.Patches, want)
	}
	if hb != "sim-backup-000001" || s.Backups.Starts != 1 || s.Backups.Duplicates != 0 || s.Backups.ByScope["acme-cu/staging"] != 1 {
		t.Errorf("backup %q stats %+v", hb, s.Backups)
	}
	if _, err := f.PatchStatus(ctx, hb); runbooks.ErrorCode(err) != runbooks.CodeNotFound {
		t.Errorf("PatchStatus of a backup handle: %v, want not_found", err)
	}
	if _, err := f.BackupStatus(ctx, "sim-backup-999999"); runbooks.ErrorCode(err) != runbooks.CodeNotFound {
		t.Errorf("BackupStatus of an unknown handle: %v, want not_found", err)
	}
}

func TestOperationProgressAndEffects(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	f := demoFleet(t, func(c *Config) {
		c.Clock, c.OpDuration = clock, 10*time.Minute
		c.Faults.PatchFail = []string{"acme-cu-nonprod-web-01"} // first in request order
	})
	req := request(t, f, "acme-cu", "nonprod", "p")
	before := mustHost(t, f, "acme-cu-nonprod-app-01")
	h, _ := f.StartPatch(ctx, req)
	for _, step := range []struct {
		after                  time.Duration
		done                   bool
		succeeded, failed      int
		pendingCleared, kernel bool
	}{
		{0, false, 0, 0, false, false},
		{5 * time.Minute, false, 5, 1, false, false}, // half of 12 hosts
		{5 * time.Minute, true, 11, 1, true, true},
		{time.Hour, true, 11, 1, true, true},
	} {
		clock.Advance(step.after)
		st, err := f.PatchStatus(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if st.Done != step.done || st.Succeeded != step.succeeded || st.Failed != step.failed || st.Total != 12 {
			t.Errorf("+%s: %+v, want done=%v %d ok %d failed of 12", step.after, st, step.done, step.succeeded, step.failed)
		}
		now := mustHost(t, f, before.Name)
		if cleared := now.PendingPatches == 0; cleared != step.pendingCleared {
			t.Errorf("+%s: pending patches %d (cleared=%v), want cleared=%v", step.after, now.PendingPatches, cleared, step.pendingCleared)
		}
		if moved := now.Kernel == before.PendingKernel && before.PendingKernel != ""; moved != step.kernel && !strings.Contains(before.OS, "Windows") {
			t.Errorf("+%s: kernel %s (was %s, pending %s)", step.after, now.Kernel, before.Kernel, before.PendingKernel)
		}
	}
	if h := mustHost(t, f, before.Name); !h.LastPatched.Equal(clock.Now().Add(-time.Hour)) || h.PendingKernel != "" {
		t.Errorf("patched host %+v: LastPatched should be when the patch finished, nothing pending", h)
	}
}

func TestVerifyPatch(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	f := demoFleet(t, func(c *Config) { c.Clock, c.OpDuration = clock, time.Minute })
	all := request(t, f, "bayview-cu", "staging", "c1/staging/patch/0")
	half := all
	half.Hosts = all.Hosts[:6]
	if _, err := f.StartPatch(ctx, half); err != nil {
		t.Fatal(err)
	}
	verify := all
	verify.Tag = "c1/staging/verify/0"
	fs, _ := f.VerifyPatch(ctx, verify)
	if len(fs) != 12 || !strings.Contains(fs[0].Reason, "still running") || !strings.Contains(fs[11].Reason, "not patched") {
		t.Fatalf("while running: %d findings %v", len(fs), fs)
	}
	clock.Advance(time.Minute)
	fs, _ = f.VerifyPatch(ctx, verify)
	if len(fs) != 6 {
		t.Fatalf("after the patch: %d findings, want the 6 hosts never patched: %v", len(fs), fs)
	}
	for i, fd := range fs {
		if fd.HostID != all.Hosts[6+i].ID || !strings.Contains(fd.Reason, "not patched in this stage") {
			t.Errorf("finding %d: %+v", i, fd)
		}
	}
	// Verify of another stage sees the live hosts: the six patched ones are clean.
	other := verify
	other.Stage, other.Hosts = "production", half.Hosts
	if fs, _ := f.VerifyPatch(ctx, other); len(fs) != 0 {
		t.Errorf("patched hosts reported by another stage's verify: %v", fs)
	}
	unknown := verify
	unknown.Hosts = []runbooks.Host{{ID: "i-0000000000000000", Name: "ghost"}}
	if fs, _ := f.VerifyPatch(ctx, unknown); len(fs) != 1 || !strings.Contains(fs[0].Reason, "not found") {
		t.Errorf("unknown host: %v", fs)
	}
}

func TestEmptyOperation(t *testing.T) {
	ctx := context.Background()
	f := demoFleet(t, nil)
	h, err := f.StartBackup(ctx, runbooks.OpRequest{Tag: "empty"})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := f.BackupStatus(ctx, h); !st.Done || st.Total != 0 || st.Failed != 0 {
		t.Errorf("empty backup: %+v", st)
	}
}
