package gcp

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	compute "google.golang.org/api/compute/v1"

	"github.com/patchgate/patchgate/runbooks"
)

// deletePoll is how often a snapshot deletion's operation is read.
const deletePoll = time.Second

// Catalog is the retention job's view of the pre-patch snapshots in the
// projects the tenants' GCP targets name.
func (p *Provider) Catalog(targets []runbooks.Target) runbooks.BackupCatalog {
	var ps []string
	for _, t := range targets {
		ps = append(ps, t.Account)
	}
	slices.Sort(ps)
	return &catalog{p: p, projects: slices.Compact(ps)}
}

type catalog struct {
	p        *Provider
	projects []string
}

// ListPrePatchBackups lists every snapshot patchgate labelled as a VM's
// pre-patch backup; one being deleted (an earlier run's delete whose
// answer was lost) is already gone.
func (c *catalog) ListPrePatchBackups(ctx context.Context) ([]runbooks.HostBackup, error) {
	var out []runbooks.HostBackup
	for _, project := range c.projects {
		err := c.p.compute.Snapshots.List(project).Pages(ctx, guarded(c.p, "compute snapshots.list of project "+project, snapshotsNext, func(page *compute.SnapshotList) error {
			for _, s := range page.Items {
				host := s.Labels[labelHostID]
				if host == "" || s.Labels[labelTag] == "" || s.Status == "DELETING" || s.Status == "CREATING" {
					continue
				}
				at, _ := time.Parse(time.RFC3339, s.CreationTimestamp)
				out = append(out, runbooks.HostBackup{HostID: host, HostName: s.Labels[labelInstance], Cloud: runbooks.GCP,
					Kind: runbooks.BackupDiskSnapshot, ID: s.Name, TakenAt: at.UTC(), Cycle: s.Labels[labelCycle], Tag: s.Labels[labelTag],
					Source: sourceCompute, Account: project})
			}
			return nil
		}))
		if err != nil {
			return nil, coded("list the pre-patch snapshots of project "+project, err)
		}
	}
	return out, nil
}

// DeleteBackup deletes a snapshot and waits for its global operation;
// a snapshot already gone counts as deleted.
func (c *catalog) DeleteBackup(ctx context.Context, b runbooks.HostBackup) error {
	what := "delete snapshot " + b.Account + "/" + b.ID
	op, err := c.p.compute.Snapshots.Delete(b.Account, b.ID).Context(ctx).Do()
	if httpCode(err) == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return coded(what, err)
	}
	for op.Status != "DONE" {
		if err := c.p.cfg.Sleep(ctx, deletePoll); err != nil {
			return fmt.Errorf("%s: operation %s still %s: %w", what, op.Name, op.Status, err)
		}
		if op, err = c.p.compute.GlobalOperations.Get(b.Account, op.Name).Context(ctx).Do(); err != nil {
			return coded(what+": read operation", err)
		}
	}
	if op.Error != nil && len(op.Error.Errors) > 0 {
		return fmt.Errorf("%s: %s", what, op.Error.Errors[0].Message)
	}
	c.p.cfg.Log.Info("pre-patch snapshot deleted", "project", b.Account, "snapshot", b.ID, "host", b.HostID, "cycle", b.Cycle)
	return nil
}
