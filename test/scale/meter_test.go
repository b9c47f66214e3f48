package scale

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/boltstore"
)

// plainStore hides the record lifetimes of the store it wraps.
type plainStore struct{ state.Store }

// TestMeterKeepsRecordLifetimes: the meter passes CreateTTL through, and
// counts its bytes, when the store it wraps keeps record lifetimes, and
// does not claim to keep them when the store does not.
func TestMeterKeepsRecordLifetimes(t *testing.T) {
	ctx := context.Background()
	raw, err := boltstore.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	m := &meter{Store: raw}
	x, ok := m.store().(state.Expiring)
	if !ok {
		t.Fatal("the meter over bbolt hides its record lifetimes")
	}
	if _, err := x.CreateTTL(ctx, "runbooks/remediation/event/e-1", []byte("RM-1"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if written, writes, _, _, _ := m.snapshot(); written != 4 || writes != 1 {
		t.Errorf("CreateTTL counted as %d bytes in %d writes, want 4 in 1", written, writes)
	}
	if _, ok := (&meter{Store: plainStore{raw}}).store().(state.Expiring); ok {
		t.Error("the meter over a store without lifetimes claims to keep them")
	}
}
