package gcp

import (
	"context"
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// itemResult is what is known of one snapshot.
type itemResult struct {
	opDone  bool   // the createSnapshot operation finished without error
	settled bool   // READY or failed: never read again
	failed  string // why it failed; "" when it succeeded or is pending
}

// BackupStatus reads each snapshot's createSnapshot operation until it is
// DONE, then the snapshot until it is READY. At most PollLimit items are
// read per call; finished ones are remembered, so a long backup costs one
// read per unfinished snapshot per poll.
func (p *Provider) BackupStatus(ctx context.Context, handle string) (runbooks.OpStatus, error) {
	h, err := parseBackupHandle(handle)
	if err != nil {
		return runbooks.OpStatus{}, err
	}
	st := runbooks.OpStatus{Total: len(h.Items), Done: true}
	budget := p.cfg.PollLimit
	for _, it := range h.Items {
		key := it.Project + "/" + it.Snapshot
		p.mu.Lock()
		r := p.settled[key]
		p.mu.Unlock()
		if !r.settled && it.Err != "" {
			r = itemResult{settled: true, failed: it.Err}
		}
		if !r.settled && budget > 0 {
			budget--
			if r, err = p.pollSnapshot(ctx, it, r); err != nil {
				return runbooks.OpStatus{}, err
			}
			p.mu.Lock()
			p.settled[key] = r
			p.mu.Unlock()
		}
		switch {
		case !r.settled:
			st.Done = false
		case r.failed != "":
			st.Failed++
			st.Findings = append(st.Findings, runbooks.Finding{HostID: it.HostID, HostName: it.HostName, Reason: "boot-disk snapshot " + it.Snapshot + " failed: " + r.failed})
		default:
			st.Succeeded++
			st.Made.DiskSnapshots++
		}
	}
	return st, nil
}

// pollSnapshot moves one item on as far as the API says it has got.
func (p *Provider) pollSnapshot(ctx context.Context, it snapItem, r itemResult) (itemResult, error) {
	if it.Op != "" && !r.opDone {
		op, err := p.compute.ZoneOperations.Get(it.Project, it.Zone, it.Op).Context(ctx).Do()
		if err != nil {
			return r, coded(fmt.Sprintf("read operation %s in %s/%s", it.Op, it.Project, it.Zone), err)
		}
		if op.Status != "DONE" {
			return r, nil
		}
		if op.Error != nil && len(op.Error.Errors) > 0 {
			var msgs []string
			for _, e := range op.Error.Errors {
				msgs = append(msgs, e.Code+": "+e.Message)
			}
			return itemResult{settled: true, failed: strings.Join(msgs, "; ")}, nil
		}
		r.opDone = true
	}
	s, err := p.compute.Snapshots.Get(it.Project, it.Snapshot).Context(ctx).Do()
	switch {
	case isNotFound(err) && (r.opDone || it.Op == ""):
		return itemResult{settled: true, failed: "snapshot does not exist"}, nil
	case err != nil:
		return r, coded(fmt.Sprintf("read snapshot %s/%s", it.Project, it.Snapshot), err)
	}
	switch s.Status {
	case "READY":
		return itemResult{opDone: true, settled: true}, nil
	case "FAILED", "DELETING":
		return itemResult{settled: true, failed: "snapshot is " + s.Status}, nil
	}
	return r, nil // CREATING or UPLOADING
}
