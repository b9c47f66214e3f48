package gcp

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/gcp/gcptest"
	"github.com/patchgate/patchgate/runbooks"
)

// pollBackup polls until done, with a bound instead of a clock.
func pollBackup(t *testing.T, p *Provider, handle string) runbooks.OpStatus {
	t.Helper()
	for i := 0; i < 20; i++ {
		st, err := p.BackupStatus(context.Background(), handle)
		if err != nil {
			t.Fatal(err)
		}
		if st.Done {
			return st
		}
	}
	t.Fatal("backup not done after 20 polls")
	return runbooks.OpStatus{}
}

func TestBackupSnapshotsBootDisks(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	p := newProvider(t, srv, clk)
	ctx := context.Background()
	hosts, err := p.Hosts(ctx, tenant, prodDR)
	if err != nil {
		t.Fatal(err)
	}
	r := req("c-2026-11/production/backup/0", append(managed(hosts), runbooks.Host{ID: "i-0abc", Cloud: runbooks.AWS, Account: "111111111111"}))

	if _, found, err := p.FindBackup(ctx, r); err != nil || found {
		t.Fatalf("FindBackup before start = %v, %v; want not found", found, err)
	}
	handle, err := p.StartBackup(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.Count("compute.disks.createSnapshot"); n != 3 {
		t.Fatalf("createSnapshot requests = %d, want 3 (one per managed GCP host, none for AWS)", n)
	}
	st, err := p.BackupStatus(ctx, handle)
	if err != nil || st.Done || st.Total != 3 {
		t.Fatalf("first poll = %+v, %v; want 3 in progress", st, err)
	}
	st = pollBackup(t, p, handle)
	if st.Succeeded != 3 || st.Failed != 0 || len(st.Findings) != 0 || st.Made != (runbooks.Made{DiskSnapshots: 3}) {
		t.Fatalf("final status = %+v, want 3 succeeded, 3 disk snapshots made", st)
	}
	// Each snapshot carries the tag, cycle and stage as valid labels.
	snaps := srv.Snapshots("dr-proj")
	if len(snaps) != 3 {
		t.Fatalf("snapshots = %v, want 3", snaps)
	}
	for name, labels := range snaps {
		if !strings.HasPrefix(name, "pg-") || len(name) > 63 {
			t.Errorf("snapshot name %q is not a valid patchgate name", name)
		}
		if labels[labelTag] != labelValue(r.Tag) || labels[labelCycle] != "c-2026-11" || labels[labelStage] != "production" {
			t.Errorf("snapshot %s labels = %v", name, labels)
		}
		for k, v := range labels {
			if len(v) > 63 || strings.ContainsAny(v, "/ ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
				t.Errorf("label %s=%q breaks GCP label rules", k, v)
			}
		}
	}
	// Settled snapshots are remembered: another poll reads nothing.
	before := srv.Count("compute.snapshots.get") + srv.Count("compute.zoneOperations.get")
	if st, _ := p.BackupStatus(ctx, handle); !st.Done {
		t.Fatal("done backup reads as not done")
	}
	if after := srv.Count("compute.snapshots.get") + srv.Count("compute.zoneOperations.get"); after != before {
		t.Errorf("a poll of a finished backup made %d requests, want 0", after-before)
	}
}

func TestBackupResumeFindsSnapshotsWithoutDuplicates(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	ctx := context.Background()
	a := newProvider(t, srv, clk)
	hosts, err := a.Hosts(ctx, tenant, prodDR)
	if err != nil {
		t.Fatal(err)
	}
	r := req("c-2026-11/production/backup/0", managed(hosts))
	if _, err := a.StartBackup(ctx, r); err != nil {
		t.Fatal(err)
	}
	// The handle was never stored: a new process finds the snapshots by
	// label and polls them to the end.
	b := newProvider(t, srv, clk)
	handle, found, err := b.FindBackup(ctx, r)
	if err != nil || !found {
		t.Fatalf("FindBackup after restart = %v, %v; want found", found, err)
	}
	if st := pollBackup(t, b, handle); st.Succeeded != 3 {
		t.Fatalf("status = %+v, want 3 succeeded", st)
	}
	// A second StartBackup (say, a step retried after a partial failure)
	// keeps the existing snapshots.
	if _, err := b.StartBackup(ctx, r); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count("compute.disks.createSnapshot"); n != 3 {
		t.Errorf("createSnapshot requests = %d, want 3: nothing taken twice", n)
	}
	if n := len(srv.Snapshots("dr-proj")); n != 3 {
		t.Errorf("%d snapshots, want 3", n)
	}
}

func TestBackupFailureNamesTheHost(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	os := &gcptest.OSInfo{ShortName: "debian"}
	srv.AddInstance(gcptest.Instance{Project: "p", Zone: "us-east1-b", Name: "ok-1", ID: 1, OS: os})
	srv.AddInstance(gcptest.Instance{Project: "p", Zone: "us-east1-b", Name: "full-1", ID: 2, OS: os, SnapshotError: "Quota 'SNAPSHOTS' exceeded. Limit: 0.0 globally."})
	srv.AddInstance(gcptest.Instance{Project: "p", Zone: "us-east1-b", Name: "regional-1", ID: 3, OS: os, RegionalBootDisk: true})
	p := newProvider(t, srv, clk)
	ctx := context.Background()
	hosts, err := p.Hosts(ctx, tenant, runbooks.Environment{Name: "staging", Targets: []runbooks.Target{{Cloud: runbooks.GCP, Account: "p"}}})
	if err != nil {
		t.Fatal(err)
	}
	handle, err := p.StartBackup(ctx, req("c/staging/backup/0", hosts))
	if err != nil {
		t.Fatal(err)
	}
	st := pollBackup(t, p, handle)
	if st.Succeeded != 1 || st.Failed != 2 || len(st.Findings) != 2 {
		t.Fatalf("status = %+v, want 1 succeeded and 2 failures", st)
	}
	reasons := map[string]string{}
	for _, f := range st.Findings {
		reasons[f.HostName] = f.Reason
	}
	if !strings.Contains(reasons["full-1"], "Quota 'SNAPSHOTS' exceeded") {
		t.Errorf("full-1 finding = %q, want the operation's error", reasons["full-1"])
	}
	if !strings.Contains(reasons["regional-1"], "regional") {
		t.Errorf("regional-1 finding = %q, want why it was not snapshotted", reasons["regional-1"])
	}
}

func TestLabelValue(t *testing.T) {
	for _, in := range []string{"c-2026-11/production/backup/0", "Prod Stage", strings.Repeat("x", 80)} {
		v := labelValue(in)
		if len(v) > 63 || strings.ContainsAny(v, "/ ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			t.Errorf("labelValue(%q) = %q breaks label rules", in, v)
		}
	}
	if labelValue("a/b") == labelValue("a-b") {
		t.Error("two different tags share a label value")
	}
	if labelValue("production") != "production" {
		t.Error("a valid value was changed")
	}
}

// A process died half-way through StartBackup: the next finds too few
// snapshots, and its StartBackup takes only the missing ones.
func TestBackupResumeAfterPartialStart(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	ctx := context.Background()
	a := newProvider(t, srv, clk)
	hosts, err := a.Hosts(ctx, tenant, prodDR)
	if err != nil {
		t.Fatal(err)
	}
	r := req("c-2026-11/production/backup/0", managed(hosts))
	if _, err := a.StartBackup(ctx, req(r.Tag, r.Hosts[:1])); err != nil {
		t.Fatal(err)
	}
	b := newProvider(t, srv, clk)
	if _, found, err := b.FindBackup(ctx, r); err != nil || found {
		t.Fatalf("FindBackup with 1 of 3 snapshots = %v, %v; want not found", found, err)
	}
	handle, err := b.StartBackup(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.Count("compute.disks.createSnapshot"); n != 3 {
		t.Errorf("createSnapshot requests = %d, want 3: the first host's snapshot is not taken again", n)
	}
	if st := pollBackup(t, b, handle); st.Succeeded != 3 || st.Total != 3 {
		t.Fatalf("status = %+v, want all 3", st)
	}
}
