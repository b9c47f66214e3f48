package metrics

import (
	"context"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// Catalog wraps one cloud's backup catalog before a router joins it, so
// the retention job's listing and deletes are timed and their errors
// counted per provider like the fleet's calls; nil stays nil (a cloud
// without one).
func (m *Metrics) Catalog(c runbooks.BackupCatalog) runbooks.BackupCatalog {
	if c == nil {
		return nil
	}
	return catalog{c, m.provider(c)}
}

type catalog struct {
	inner runbooks.BackupCatalog
	c     caller
}

func (w catalog) ListPrePatchBackups(ctx context.Context) ([]runbooks.HostBackup, error) {
	start := time.Now()
	bs, err := w.inner.ListPrePatchBackups(ctx)
	w.c.observe("ListPrePatchBackups", start, err)
	return bs, err
}

func (w catalog) DeleteBackup(ctx context.Context, b runbooks.HostBackup) error {
	start := time.Now()
	err := w.inner.DeleteBackup(ctx, b)
	w.c.observe("DeleteBackup", start, err)
	return err
}
