package multi

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

// opPort is the shape Backups and Patcher share, so one set of routing code
// serves both.
type opPort struct {
	start  func(context.Context, runbooks.OpRequest) (string, error)
	find   func(context.Context, runbooks.OpRequest) (string, bool, error)
	status func(context.Context, string) (runbooks.OpStatus, error)
}

func (r *Router) backups(c runbooks.Cloud) opPort {
	b := r.clouds[c].Backups
	return opPort{b.StartBackup, b.FindBackup, b.BackupStatus}
}

func (r *Router) patcher(c runbooks.Cloud) opPort {
	p := r.clouds[c].Patcher
	return opPort{p.StartPatch, p.FindPatch, p.PatchStatus}
}

// start starts each cloud's part, but first looks for a part an earlier,
// partly failed start already began: the engine retries a failed start
// whole, and a cloud that did start must not start twice.
func (r *Router) start(ctx context.Context, req runbooks.OpRequest, port func(runbooks.Cloud) opPort) (string, error) {
	parts, err := r.split(req)
	if err != nil {
		return "", err
	}
	handles := map[runbooks.Cloud]string{}
	var mu syncMap
	err = each(parts, func(name runbooks.Cloud, p runbooks.OpRequest) error {
		op := port(name)
		h, found, err := op.find(ctx, p)
		if err != nil {
			return err
		}
		if !found {
			if h, err = op.start(ctx, p); err != nil {
				return err
			}
		}
		mu.do(func() { handles[name] = h })
		return nil
	})
	if err != nil {
		return "", err
	}
	return encodeHandle(handles), nil
}

// find reports the operation found only when every cloud's part is found;
// otherwise the engine starts it, and start reuses the parts that exist.
func (r *Router) find(ctx context.Context, req runbooks.OpRequest, port func(runbooks.Cloud) opPort) (string, bool, error) {
	parts, err := r.split(req)
	if err != nil {
		return "", false, err
	}
	handles := map[runbooks.Cloud]string{}
	missing := false
	var mu syncMap
	err = each(parts, func(name runbooks.Cloud, p runbooks.OpRequest) error {
		h, found, err := port(name).find(ctx, p)
		if err != nil {
			return err
		}
		mu.do(func() {
			if found {
				handles[name] = h
			} else {
				missing = true
			}
		})
		return nil
	})
	if err != nil || missing || len(handles) == 0 {
		return "", false, err
	}
	return encodeHandle(handles), true, nil
}

// status polls every part and adds them up; the operation is done when
// every part is.
func (r *Router) status(ctx context.Context, h string, port func(runbooks.Cloud) opPort) (runbooks.OpStatus, error) {
	parts, err := decodeHandle(h)
	if err != nil {
		return runbooks.OpStatus{}, err
	}
	for name := range parts {
		if _, err := r.cloud(name); err != nil {
			return runbooks.OpStatus{}, err
		}
	}
	got := map[runbooks.Cloud]runbooks.OpStatus{}
	var mu syncMap
	err = each(parts, func(name runbooks.Cloud, ph string) error {
		st, err := port(name).status(ctx, ph)
		if err != nil {
			return err
		}
		mu.do(func() { got[name] = st })
		return nil
	})
	if err != nil {
		return runbooks.OpStatus{}, err
	}
	sum := runbooks.OpStatus{Done: true}
	for _, name := range sortedKeys(got) {
		st := got[name]
		sum.Done = sum.Done && st.Done
		sum.Total += st.Total
		sum.Succeeded += st.Succeeded
		sum.Failed += st.Failed
		sum.Made = sum.Made.Plus(st.Made)
		sum.Findings = append(sum.Findings, st.Findings...)
	}
	return sum, nil
}

// StartBackup starts the backup in every cloud of the request's hosts.
func (r *Router) StartBackup(ctx context.Context, req runbooks.OpRequest) (string, error) {
	return r.start(ctx, req, r.backups)
}

// FindBackup finds a backup started earlier under the request's tag.
func (r *Router) FindBackup(ctx context.Context, req runbooks.OpRequest) (string, bool, error) {
	return r.find(ctx, req, r.backups)
}

// BackupStatus polls a backup in every cloud it spans.
func (r *Router) BackupStatus(ctx context.Context, h string) (runbooks.OpStatus, error) {
	return r.status(ctx, h, r.backups)
}

// StartPatch starts patching in every cloud of the request's hosts.
func (r *Router) StartPatch(ctx context.Context, req runbooks.OpRequest) (string, error) {
	return r.start(ctx, req, r.patcher)
}

// FindPatch finds a patch run started earlier under the request's tag.
func (r *Router) FindPatch(ctx context.Context, req runbooks.OpRequest) (string, bool, error) {
	return r.find(ctx, req, r.patcher)
}

// PatchStatus polls a patch run in every cloud it spans.
func (r *Router) PatchStatus(ctx context.Context, h string) (runbooks.OpStatus, error) {
	return r.status(ctx, h, r.patcher)
}

// VerifyPatch verifies each cloud's hosts with that cloud's provider.
func (r *Router) VerifyPatch(ctx context.Context, req runbooks.OpRequest) ([]runbooks.Finding, error) {
	parts, err := r.split(req)
	if err != nil {
		return nil, err
	}
	got := map[runbooks.Cloud][]runbooks.Finding{}
	var mu syncMap
	err = each(parts, func(name runbooks.Cloud, p runbooks.OpRequest) error {
		f, err := r.clouds[name].Patcher.VerifyPatch(ctx, p)
		if err != nil {
			return err
		}
		mu.do(func() { got[name] = f })
		return nil
	})
	if err != nil {
		return nil, err
	}
	var all []runbooks.Finding
	for _, name := range sortedKeys(got) {
		all = append(all, got[name]...)
	}
	return all, nil
}
