package metrics

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/patchgate/patchgate/runbooks"
)

type catalogFake struct{ deleted []string }

func (c *catalogFake) ListPrePatchBackups(context.Context) ([]runbooks.HostBackup, error) {
	return []runbooks.HostBackup{{ID: "ami-1"}}, nil
}

func (c *catalogFake) DeleteBackup(_ context.Context, b runbooks.HostBackup) error {
	c.deleted = append(c.deleted, b.ID)
	return runbooks.Errorf(runbooks.CodeUnavailable, "peer answered 500")
}

// TestBackupCatalogPassesThrough: the decorator hands the retention job's
// listing and deletes to the cloud's catalog, each timed, errors counted.
func TestBackupCatalogPassesThrough(t *testing.T) {
	m := New()
	inner := &catalogFake{}
	c := m.Catalog(inner)
	bs, err := c.ListPrePatchBackups(context.Background())
	if err != nil || len(bs) != 1 {
		t.Fatalf("listed %v, %v", bs, err)
	}
	if err = c.DeleteBackup(context.Background(), bs[0]); err == nil || len(inner.deleted) != 1 {
		t.Fatalf("delete forwarded %v, %v; want the catalog's error", inner.deleted, err)
	}
	if n := testutil.CollectAndCount(m.providerTime); n != 2 {
		t.Errorf("%d timed series, want ListPrePatchBackups and DeleteBackup", n)
	}
	if n := testutil.ToFloat64(m.providerErrors.WithLabelValues("metrics", "DeleteBackup", runbooks.ErrorCode(err))); n != 1 {
		t.Errorf("DeleteBackup errors counted %v, want 1", n)
	}
	if m.Catalog(nil) != nil {
		t.Error("a cloud without a catalog got one")
	}
}
