package azure

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/hybridcompute/armhybridcompute/v2"

	"github.com/patchgate/patchgate/runbooks"
)

// StartPatch sends installPatches to every Azure VM and Arc machine in the
// request and returns a handle holding each operation's resume token. A
// machine whose install could not start is recorded in the handle as failed
// rather than failing the call, because the engine would answer an error
// by calling StartPatch again and re-send the installs that did start.
func (p *Provider) StartPatch(ctx context.Context, req runbooks.OpRequest) (string, error) {
	hosts := azureHosts(req.Hosts)
	h := handle{Kind: kindInstall, Tag: req.Tag, Entries: make([]entry, len(hosts))}
	err := p.each(ctx, len(hosts), func(i int) string { return hosts[i].Account }, func(ctx context.Context, i int) error {
		h.Entries[i] = p.install(ctx, hosts[i])
		return ctx.Err()
	})
	if err != nil {
		return "", fmt.Errorf("azure installPatches for %s: %w", req.Tag, err)
	}
	for _, e := range h.Entries {
		p.cfg.Log.Info("azure installPatches started", "tag", req.Tag, "host", e.Name, "resumable", len(e.Token) > 0, "fail", e.Fail)
	}
	return h.encode()
}

// FindPatch never finds an earlier install: ARM keeps no queryable record
// linking an installPatches operation to patchgate's tag, and the resume
// tokens live only in the handle StartPatch returned. An engine that lost
// the handle therefore starts again; Azure refuses a second install on a
// machine whose first is still running, which StartPatch records as that
// machine's failure.
func (p *Provider) FindPatch(context.Context, runbooks.OpRequest) (string, bool, error) {
	return "", false, nil
}

// install starts one machine's installPatches.
func (p *Provider) install(ctx context.Context, h runbooks.Host) entry {
	e := entry{Host: h.ID, Name: h.Name}
	r, err := parseMachine(h.ID)
	if err != nil {
		e.Fail = err.Error()
		return e
	}
	c, err := p.sub(r.sub)
	if err != nil {
		e.Fail = err.Error()
		return e
	}
	var lro poller
	if r.kind == kindVM {
		lro, err = c.vms.BeginInstallPatches(ctx, r.group, r.name, p.vmInstallParams(h.OS), nil)
	} else {
		lro, err = c.arcs.BeginInstallPatches(ctx, r.group, r.name, p.arcInstallParams(h.OS), nil)
	}
	if err != nil {
		e.Fail = "installPatches refused: " + reason(err)
		return e
	}
	if lro.Done() {
		// Finished in the first response: nothing to resume, so the
		// outcome goes into the handle.
		e.Done = true
		if e.Fail, err = outcome(ctx, lro); err != nil {
			e.Fail = err.Error()
		}
		return e
	}
	tok, err := lro.ResumeToken()
	if err != nil || !json.Valid([]byte(tok)) {
		e.Fail = fmt.Sprintf("installPatches started but its resume token is unusable: %v", err)
		return e
	}
	e.Token = json.RawMessage(tok)
	return e
}

// resume rebuilds a machine's installPatches poller from its token; no
// request is sent, so the running install is polled, not repeated.
func (p *Provider) resume(r resource, token string) (poller, error) {
	c, err := p.sub(r.sub)
	if err != nil {
		return nil, err
	}
	if r.kind == kindVM {
		return c.vms.BeginInstallPatches(context.Background(), r.group, r.name, armcompute.VirtualMachineInstallPatchesParameters{},
			&armcompute.VirtualMachinesClientBeginInstallPatchesOptions{ResumeToken: token})
	}
	return c.arcs.BeginInstallPatches(context.Background(), r.group, r.name, armhybridcompute.MachineInstallPatchesParameters{},
		&armhybridcompute.MachinesClientBeginInstallPatchesOptions{ResumeToken: token})
}
