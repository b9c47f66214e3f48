package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/patchgate/patchgate/runbooks"
)

// Tags patchgate puts on what it creates, so FindBackup can recover it.
const (
	tagOp    = "patchgate-op"
	tagCycle = "patchgate-cycle"
	tagStage = "patchgate-stage"
	tagHost  = "patchgate-host"
)

// StartBackup snapshots the OS disk of every Azure VM in the request. Arc
// machines have no managed disk: they are reported (settings.ArcBackupFinding) or
// recorded as skipped (settings.ArcBackupSkip).
func (p *Provider) StartBackup(ctx context.Context, req runbooks.OpRequest) (string, error) {
	hosts := azureHosts(req.Hosts)
	h := handle{Kind: kindSnapshots, Tag: req.Tag, Entries: make([]entry, len(hosts))}
	err := p.each(ctx, len(hosts), func(i int) string { return hosts[i].Account }, func(ctx context.Context, i int) error {
		h.Entries[i] = p.snapshotHost(ctx, req, hosts[i])
		return ctx.Err()
	})
	if err != nil {
		return "", fmt.Errorf("azure snapshots for %s: %w", req.Tag, err)
	}
	return h.encode()
}

// FindBackup finds the snapshots an earlier StartBackup of the same request
// made (by their patchgate-op tag), creates any it did not get to, and
// returns their handle; found is false when there are none.
func (p *Provider) FindBackup(ctx context.Context, req runbooks.OpRequest) (string, bool, error) {
	hosts := azureHosts(req.Hosts)
	existing, err := p.taggedSnapshots(ctx, hosts, req.Tag)
	if err != nil || len(existing) == 0 {
		return "", false, err
	}
	h := handle{Kind: kindSnapshots, Tag: req.Tag, Entries: make([]entry, len(hosts))}
	err = p.each(ctx, len(hosts), func(i int) string { return hosts[i].Account }, func(ctx context.Context, i int) error {
		if id, ok := existing[strings.ToLower(hosts[i].ID)]; ok {
			h.Entries[i] = entry{Host: hosts[i].ID, Name: hosts[i].Name, Snapshot: id}
			return nil
		}
		h.Entries[i] = p.snapshotHost(ctx, req, hosts[i])
		return ctx.Err()
	})
	if err != nil {
		return "", false, fmt.Errorf("azure snapshots for %s: %w", req.Tag, err)
	}
	s, err := h.encode()
	return s, true, err
}

// BackupStatus reads each snapshot's provisioningState.
func (p *Provider) BackupStatus(ctx context.Context, hs string) (runbooks.OpStatus, error) {
	h, err := decodeHandle(hs, kindSnapshots)
	if err != nil {
		return runbooks.OpStatus{}, err
	}
	type state struct {
		done bool
		fail string
	}
	states := make([]state, len(h.Entries))
	subOf := func(i int) string {
		r, _ := parseMachine(h.Entries[i].Host)
		return r.sub
	}
	err = p.each(ctx, len(h.Entries), subOf, func(ctx context.Context, i int) error {
		e := h.Entries[i]
		switch {
		case e.Fail != "":
			states[i] = state{true, e.Fail}
			return nil
		case e.Skip != "":
			states[i] = state{done: true}
			return nil
		}
		done, fail, err := p.snapshotState(ctx, e.Snapshot)
		states[i] = state{done, fail}
		return err
	})
	if err != nil {
		return runbooks.OpStatus{}, fmt.Errorf("azure snapshots of %s: %w", h.Tag, err)
	}
	st := runbooks.OpStatus{Total: len(h.Entries), Done: true}
	for i, s := range states {
		st.Done = st.Done && (s.done || s.fail != "")
		tally(&st, h.Entries[i], s.done, s.fail)
		if s.done && s.fail == "" && h.Entries[i].Skip == "" {
			st.Made.DiskSnapshots++
		}
	}
	return st, nil
}

// snapshotState reads one snapshot: done, or failed with a reason.
func (p *Provider) snapshotState(ctx context.Context, id string) (bool, string, error) {
	r, err := parseSnapshot(id)
	if err != nil {
		return false, "", err
	}
	c, err := p.sub(r.sub)
	if err != nil {
		return false, "", err
	}
	res, err := c.snaps.Get(ctx, r.group, r.name, nil)
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusNotFound {
		return false, "snapshot " + r.name + " no longer exists", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("read snapshot %s: %w", r.name, err)
	}
	state := ""
	if res.Properties != nil {
		state = str(res.Properties.ProvisioningState)
	}
	switch state {
	case "Succeeded":
		return true, "", nil
	case "Failed", "Canceled":
		return false, "snapshot " + r.name + " provisioning " + state, nil
	}
	return false, "", nil
}
