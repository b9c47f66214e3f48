package sim

import (
	"context"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.BackupCatalog = (*Fleet)(nil)

// ListPrePatchBackups lists every pre-patch backup the simulated clouds
// still hold: each successful host of each backup operation, until the
// retention job deletes it.
func (f *Fleet) ListPrePatchBackups(ctx context.Context) ([]runbooks.HostBackup, error) {
	var out []runbooks.HostBackup
	err := f.call(ctx, MethodListBackups, func(int) error {
		for _, op := range f.st.Ops {
			if op.Kind != kindBackup {
				continue
			}
			for _, b := range f.backupsOf(op) {
				if _, gone := f.st.Deleted[b.ID]; !gone {
					out = append(out, b)
				}
			}
		}
		return nil
	})
	return out, err
}

// DeleteBackup deletes one pre-patch backup; deleting it again is a no-op.
func (f *Fleet) DeleteBackup(ctx context.Context, b runbooks.HostBackup) error {
	return f.call(ctx, MethodDeleteBackup, func(int) error {
		if f.st.Deleted == nil {
			f.st.Deleted = map[string]time.Time{}
		}
		if _, gone := f.st.Deleted[b.ID]; gone {
			return nil
		}
		f.st.Deleted[b.ID] = f.now().UTC()
		return f.commit()
	})
}

// BackupDeleted reports whether the retention job deleted a backup.
func (f *Fleet) BackupDeleted(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, gone := f.st.Deleted[id]
	return gone
}
