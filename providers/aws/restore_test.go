package aws

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/runbooks"
)

// TestRollbackAWSReplaceRootVolume: the pre-patch images taken in moto are
// listed per instance; a restore is a replace-root-volume task from the
// image (tagged, with a client token), found again by its tag after a
// crash and never created twice even when the create is sent again or
// first answered with an HTML 500; the poll follows the task to
// succeeded, and a task failing detached says the instance has no root
// volume.
func TestRollbackAWSReplaceRootVolume(t *testing.T) {
	moto := awstest.Moto(t)
	rv := awstest.NewRootVolumes(t, moto)
	ctx := context.Background()
	ids := runInstances(t, moto, acctA, 2, map[string]string{"Name": "app"})
	cfg := testConfig(rv.URL, "")
	cfg.Backup.NoReboot = true
	cfg.Tenants = []runbooks.Tenant{{Name: "acme", Environments: []runbooks.Environment{awsEnv("nonprod", nil)}}}
	p := newProvider(t, cfg)
	hosts := hostsOf(ids)
	bh, err := p.StartBackup(ctx, opRequest("acme-20261122-0200-abc/nonprod/backup/0", hosts))
	if err != nil {
		t.Fatal(err)
	}
	backups, err := p.PrePatchBackups(ctx, bh)
	if err != nil {
		t.Fatal(err)
	}
	if len(backups) != 2 {
		t.Fatalf("backups %+v, want one image per instance", backups)
	}
	for _, b := range backups {
		if b.Kind != runbooks.BackupImage || !strings.HasPrefix(b.ID, "ami-") || b.TakenAt.IsZero() || b.Cycle != "acme-20261122-0200-abc" {
			t.Errorf("backup %+v: want an AMI, when it was taken and the cycle", b)
		}
	}
	req := func(i int) runbooks.RestoreRequest {
		return runbooks.RestoreRequest{Tag: "RB-acme-1/" + ids[i] + "/0", Rollback: "RB-acme-1", Tenant: "acme", Env: "nonprod",
			Host: hosts[i], Backup: backups[i]}
	}

	// Host 0: the first create is answered with an HTML 500 (the SDK
	// retries it), then a crash loses the answer: the step finds the
	// task by its tag, and a create sent again reuses it (client token).
	rv.HTMLErrors(1)
	if _, found, err := p.FindRestore(ctx, req(0)); err != nil || found {
		t.Fatalf("FindRestore before any restore: %v, %v", found, err)
	}
	st, err := p.StartRestore(ctx, req(0))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st.Step, "pending") || st.Done || st.Handle == "" {
		t.Fatalf("started: %+v", st)
	}
	found, ok, err := p.FindRestore(ctx, req(0))
	if err != nil || !ok || found.Handle != st.Handle {
		t.Fatalf("FindRestore after a lost answer: %+v, %v, %v; want the task %s", found, ok, err, st.Handle)
	}
	again, err := p.StartRestore(ctx, req(0))
	if err != nil || again.Handle != st.Handle {
		t.Fatalf("create sent again: %+v, %v; want the same task", again, err)
	}
	if n := rv.Tasks(ids[0]); n != 1 {
		t.Fatalf("%d replace-root-volume tasks for %s, want exactly 1", n, ids[0])
	}
	var steps []string
	for !st.Done && st.Failed == "" && len(steps) < 5 {
		if st, err = p.PollRestore(ctx, req(0), st.Handle); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, st.Step)
	}
	if !st.Done || len(steps) != 2 || !strings.Contains(steps[0], "in-progress") {
		t.Fatalf("poll steps %v ended %+v; want in-progress then succeeded", steps, st)
	}

	// Host 1: the task fails detached; the restore says so.
	rv.FailDetached(ids[1])
	st, err = p.StartRestore(ctx, req(1))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if st, err = p.PollRestore(ctx, req(1), st.Handle); err != nil || st.Failed != "" {
			break
		}
	}
	if err != nil || !strings.Contains(st.Failed, "NO root volume") || st.Done {
		t.Fatalf("failed-detached task: %+v, %v; want a failure saying the instance has no root volume", st, err)
	}
}
