package multi

import (
	"context"
	"sort"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.BackupCatalog = (*Router)(nil)

// ListPrePatchBackups asks every cloud with a catalog for its backups,
// concurrently. A cloud keeps only the backups it names as its own (the
// simulation stands in for several clouds with one catalog). Any cloud
// failing fails the listing: retention then deletes nothing this run
// rather than judging a host's backups from a partial list.
func (r *Router) ListPrePatchBackups(ctx context.Context) ([]runbooks.HostBackup, error) {
	cats := map[runbooks.Cloud]runbooks.BackupCatalog{}
	for name, c := range r.clouds {
		if c.Catalog != nil {
			cats[name] = c.Catalog
		}
	}
	got := map[runbooks.Cloud][]runbooks.HostBackup{}
	var mu syncMap
	err := each(cats, func(name runbooks.Cloud, cat runbooks.BackupCatalog) error {
		bs, err := cat.ListPrePatchBackups(ctx)
		if err != nil {
			return err
		}
		var own []runbooks.HostBackup
		for _, b := range bs {
			if b.Cloud == name {
				own = append(own, b)
			}
		}
		mu.do(func() { got[name] = own })
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []runbooks.HostBackup
	for _, name := range sortedKeys(got) {
		bs := got[name]
		sort.SliceStable(bs, func(i, j int) bool { return bs[i].ID < bs[j].ID })
		out = append(out, bs...)
	}
	return out, nil
}

// DeleteBackup asks the backup's cloud.
func (r *Router) DeleteBackup(ctx context.Context, b runbooks.HostBackup) error {
	c, err := r.cloud(b.Cloud)
	if err != nil {
		return err
	}
	if c.Catalog == nil {
		return runbooks.Errorf(runbooks.CodeBlocked, "backup retention is not available for %s: no backup catalog is configured for that cloud", b.Cloud)
	}
	return c.Catalog.DeleteBackup(ctx, b)
}

// HasCatalog reports whether any cloud lists its backups for retention.
func (r *Router) HasCatalog() bool {
	for _, c := range r.clouds {
		if c.Catalog != nil {
			return true
		}
	}
	return false
}
