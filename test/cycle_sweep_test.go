package test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// TestRecordSizeArchiveSweepsUnnamedBlobs: blobs in a cycle's key space
// that nothing names (here a result list a later write replaced, planted
// as a write that lost a race would leave it) are deleted when the cycle
// is archived, while every blob its records and its audit trail name
// stays: the archived cycle reads whole and every chain verifies.
func TestRecordSizeArchiveSweepsUnnamedBlobs(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant()
			h := newHarness(t, b.open(t), sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{tn}, HostsPerTarget: 2,
				HandleBytes: realHandleBytes}, 2)
			c := h.start(ctx, tn.Name)
			h.tickAll(ctx)
			orphan := "blobs/" + c.ID + "/" + strings.Repeat("ab", 32) + "/0000"
			if _, err := h.store.Create(ctx, orphan, []byte(`[{"host":"replaced"}]`)); err != nil {
				t.Fatal(err)
			}
			h.runToEnd(ctx, 80)
			if c = h.cycle(ctx, c.ID); c.Status != runbooks.StatusCompleted {
				t.Fatalf("cycle %s, want completed", c.Status)
			}
			if _, err := h.store.Get(ctx, orphan); err == nil {
				t.Errorf("%s, named by nothing, is still there after the archive", orphan)
			}
			left, err := h.store.List(ctx, "blobs/"+c.ID+"/")
			if err != nil {
				t.Fatal(err)
			}
			events, err := h.engines[0].Events(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			named := map[string]bool{}
			for _, ev := range events {
				for k, v := range ev.Data {
					if strings.HasSuffix(k, "sha256") {
						named[v] = true
					}
				}
			}
			handles := 0
			for _, r := range left {
				digest, _, _ := strings.Cut(strings.TrimPrefix(r.Key, "blobs/"+c.ID+"/"), "/")
				if named[digest] {
					handles++
				}
			}
			if handles == 0 {
				t.Errorf("no blob an audit event names is left of %d blob chunk(s): the handles' evidence is gone", len(left))
			}
			inv, err := h.store.Get(ctx, "inventory/"+c.ID)
			if err != nil {
				t.Fatal(err)
			}
			var ref struct{ Blob struct{ SHA256 string } }
			if err := json.Unmarshal(inv.Value, &ref); err != nil || ref.Blob.SHA256 == "" {
				t.Fatalf("inventory record %s: %v", inv.Value, err)
			}
			if got, err := h.store.List(ctx, "blobs/"+c.ID+"/"+ref.Blob.SHA256+"/"); err != nil || len(got) == 0 {
				t.Errorf("the inventory's blob is gone after the archive (%v)", err)
			}
			if _, err := h.engines[0].Inventory(ctx, c.ID); err != nil {
				t.Errorf("the archived cycle's inventory does not read: %v", err)
			}
			verifyAllStreams(t, h.store)
		})
	}
}
