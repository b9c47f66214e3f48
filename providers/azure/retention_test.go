package azure

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
)

// TestBackupRetentionAzure: the catalog lists the pre-patch snapshots
// patchgate tagged in the targets' resource groups (host, cycle,
// timeCreated, subscription), each once; a delete is Snapshots_Delete
// polled to its end, and deleting a snapshot already gone (204) is done. A
// delete whose answer is lost leaves the snapshot Deleting: the next run
// does not list it, and finds it gone. A peer answering 500 with HTML, or
// never answering, fails the listing and nothing is deleted.
func TestBackupRetentionAzure(t *testing.T) {
	f := newFleet(t)
	p := f.provider(t)
	ctx := context.Background()
	h, err := p.StartBackup(ctx, f.request(t, p, "c-2026-11/production/backup/0", "vm-web-1", "vm-web-2"))
	if err != nil {
		t.Fatal(err)
	}
	until(t, func() (runbooks.OpStatus, error) { return p.BackupStatus(ctx, h) })
	peer := testkit.NewHostile(t, f.srv.URL)
	cat := f.provider(t, func(c *Config) { c.Endpoint = peer.URL }).Catalog([]runbooks.Target{f.target, f.target})

	listed, err := cat.ListPrePatchBackups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 {
		t.Fatalf("listed %+v; want the 2 pre-patch snapshots once each", listed)
	}
	for _, b := range listed {
		if b.Kind != runbooks.BackupDiskSnapshot || b.Cycle != "c-2026-11" || b.HostID == "" || b.TakenAt.IsZero() || b.Account != subA {
			t.Errorf("listed %+v: want a snapshot with its host, cycle, creation time and subscription", b)
		}
	}
	left := func() map[string]string {
		out := map[string]string{}
		for _, s := range f.srv.Snapshots() {
			out[strings.ToLower(s.ID)] = s.State
		}
		return out
	}

	if err := cat.DeleteBackup(ctx, listed[0]); err != nil {
		t.Fatal(err)
	}
	if st, still := left()[strings.ToLower(listed[0].ID)]; still {
		t.Fatalf("snapshot %s still there (%s) after its delete finished", listed[0].ID, st)
	}
	if err := cat.DeleteBackup(ctx, listed[0]); err != nil {
		t.Fatalf("deleting a snapshot already gone: %v; want it counted deleted", err)
	}

	// The answer to the second delete is cut short; Azure goes on.
	peer.Match = func(r *http.Request) bool { return r.Method == http.MethodDelete }
	peer.Truncate()
	lost := cat.DeleteBackup(ctx, listed[1])
	peer.Pass()
	f.srv.OpsRunAlone = true
	again, err := cat.ListPrePatchBackups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Fatalf("next run listed %+v after the delete whose answer was lost (%v); want nothing", again, lost)
	}
	for range 3 { // requests move the operation nobody polls on
		if _, err := cat.ListPrePatchBackups(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if st, still := left()[strings.ToLower(listed[1].ID)]; still {
		t.Errorf("snapshot %s not deleted (%s) by the delete whose answer was lost (%v)", listed[1].ID, st, lost)
	}
	if err := cat.DeleteBackup(ctx, listed[1]); err != nil {
		t.Fatalf("the next run deleting %s again: %v; want it found gone", listed[1].ID, err)
	}

	// A broken peer fails the listing.
	peer.Match = func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/snapshots")
	}
	for _, mode := range []func(){peer.HTMLError, peer.BlackHole} {
		mode()
		bctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		if bs, err := cat.ListPrePatchBackups(bctx); err == nil {
			t.Errorf("listing through a broken peer: %+v, no error", bs)
		}
		cancel()
	}
	peer.Pass()
}
