package multi

import (
	"context"
	"sort"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.Restorer = (*Router)(nil)

// restorer is the cloud's Restorer, or a refusal naming the cloud.
func (r *Router) restorer(name runbooks.Cloud) (runbooks.Restorer, error) {
	c, err := r.cloud(name)
	if err != nil {
		return nil, err
	}
	if c.Restorer == nil {
		return nil, runbooks.Errorf(runbooks.CodeBlocked, "rollback is not available for %s hosts: no restorer is configured for that cloud", name)
	}
	return c.Restorer, nil
}

// PrePatchBackups lists the backups of every cloud part of a backup handle.
func (r *Router) PrePatchBackups(ctx context.Context, h string) ([]runbooks.HostBackup, error) {
	parts, err := decodeHandle(h)
	if err != nil {
		return nil, err
	}
	got := map[runbooks.Cloud][]runbooks.HostBackup{}
	var mu syncMap
	err = each(parts, func(name runbooks.Cloud, ph string) error {
		rs, err := r.restorer(name)
		if err != nil {
			return err
		}
		bs, err := rs.PrePatchBackups(ctx, ph)
		if err != nil {
			return err
		}
		mu.do(func() { got[name] = bs })
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []runbooks.HostBackup
	for _, name := range sortedKeys(got) {
		bs := got[name]
		sort.SliceStable(bs, func(i, j int) bool { return bs[i].HostID < bs[j].HostID })
		out = append(out, bs...)
	}
	return out, nil
}

// FindRestore asks the host's cloud.
func (r *Router) FindRestore(ctx context.Context, req runbooks.RestoreRequest) (runbooks.RestoreStatus, bool, error) {
	rs, err := r.restorer(req.Host.Cloud)
	if err != nil {
		return runbooks.RestoreStatus{}, false, err
	}
	return rs.FindRestore(ctx, req)
}

// StartRestore asks the host's cloud.
func (r *Router) StartRestore(ctx context.Context, req runbooks.RestoreRequest) (runbooks.RestoreStatus, error) {
	rs, err := r.restorer(req.Host.Cloud)
	if err != nil {
		return runbooks.RestoreStatus{}, err
	}
	return rs.StartRestore(ctx, req)
}

// PollRestore asks the host's cloud: a restore handle belongs to the cloud
// of the host it restores.
func (r *Router) PollRestore(ctx context.Context, req runbooks.RestoreRequest, h string) (runbooks.RestoreStatus, error) {
	rs, err := r.restorer(req.Host.Cloud)
	if err != nil {
		return runbooks.RestoreStatus{}, err
	}
	return rs.PollRestore(ctx, req, h)
}
