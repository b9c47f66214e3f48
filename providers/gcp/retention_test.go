package gcp

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
)

// TestBackupRetentionGCP: the catalog lists the pre-patch snapshots
// patchgate labelled (host, cycle, creation time, project), in each
// project once; a delete is snapshots.delete with its global operation
// polled to DONE, and deleting a snapshot already gone is done. A delete
// whose answer is lost leaves the snapshot DELETING: the next run does not
// list it, and finds it gone. A peer answering 500 with HTML, or never
// answering, fails the listing and nothing is deleted.
func TestBackupRetentionGCP(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	peer := testkit.NewHostile(t, srv.URL)
	p := newProvider(t, srv, clk, func(c *Config) { c.ComputeEndpoint = peer.URL + "/compute/v1/" })
	ctx := context.Background()
	hosts, err := p.Hosts(ctx, tenant, prodDR)
	if err != nil {
		t.Fatal(err)
	}
	h, err := p.StartBackup(ctx, req("c-2026-11/production/backup/0", managed(hosts)))
	if err != nil {
		t.Fatal(err)
	}
	pollBackup(t, p, h)
	cat := p.Catalog([]runbooks.Target{prodDR.Targets[1], prodDR.Targets[1]})

	listed, err := cat.ListPrePatchBackups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 3 {
		t.Fatalf("listed %+v; want the 3 pre-patch snapshots once each", listed)
	}
	for _, b := range listed {
		if b.Kind != runbooks.BackupDiskSnapshot || b.Cycle != "c-2026-11" || b.HostID == "" || b.TakenAt.IsZero() || b.Account != "dr-proj" {
			t.Errorf("listed %+v: want a snapshot with its host, cycle, creation time and project", b)
		}
	}

	if err := cat.DeleteBackup(ctx, listed[0]); err != nil {
		t.Fatal(err)
	}
	if _, still := srv.Snapshots("dr-proj")[listed[0].ID]; still {
		t.Fatalf("snapshot %s still there after its delete operation was DONE", listed[0].ID)
	}
	if n := srv.Count("compute.globalOperations.get"); n == 0 {
		t.Error("the delete's operation was never polled")
	}
	if err := cat.DeleteBackup(ctx, listed[0]); err != nil {
		t.Fatalf("deleting a snapshot already gone: %v; want it counted deleted", err)
	}

	// The answer to the second delete is cut short; Compute Engine goes on.
	peer.Match = func(r *http.Request) bool { return r.Method == http.MethodDelete }
	peer.Truncate()
	lost := cat.DeleteBackup(ctx, listed[1])
	peer.Pass()
	srv.OpsRunAlone = true
	again, err := cat.ListPrePatchBackups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range again {
		if b.ID == listed[1].ID {
			t.Fatalf("snapshot %s listed again after its delete (first answer: %v)", b.ID, lost)
		}
	}
	if len(again) != 1 {
		t.Fatalf("next run listed %+v; want only the third snapshot", again)
	}
	// Compute Engine finishes the operation nobody polls (one more request
	// moves it on).
	if _, err := cat.ListPrePatchBackups(ctx); err != nil {
		t.Fatal(err)
	}
	if _, still := srv.Snapshots("dr-proj")[listed[1].ID]; still {
		t.Errorf("snapshot %s not deleted by the operation whose answer was lost (deleting %v, lost %v)", listed[1].ID, srv.Deleting("dr-proj", listed[1].ID), lost)
	}
	if err := cat.DeleteBackup(ctx, listed[1]); err != nil {
		t.Fatalf("the next run deleting %s again: %v; want it found gone", listed[1].ID, err)
	}

	// A broken peer fails the listing.
	peer.Match = func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/global/snapshots") }
	peer.HTMLError()
	if bs, err := cat.ListPrePatchBackups(ctx); err == nil {
		t.Fatalf("listing through a 500-HTML peer: %+v, no error", bs)
	}
	peer.BlackHole()
	bctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if bs, err := cat.ListPrePatchBackups(bctx); err == nil {
		t.Fatalf("listing through a peer that never answers: %+v, no error", bs)
	}
	peer.Pass()
	if bs, err := cat.ListPrePatchBackups(ctx); err != nil || len(bs) != 1 || bs[0].ID != again[0].ID {
		t.Fatalf("after the peer recovered: %+v, %v; want the third snapshot untouched", bs, err)
	}
}
