package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"sort"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"

	"github.com/patchgate/patchgate/runbooks"
)

// Catalog is the retention job's view of the pre-patch snapshots in the
// subscriptions and resource groups the tenants' Azure targets name (a
// target without groups: its whole subscription).
func (p *Provider) Catalog(targets []runbooks.Target) runbooks.BackupCatalog {
	seen := map[[2]string]bool{}
	c := &catalog{p: p}
	for _, t := range targets {
		groups := t.Groups
		if len(groups) == 0 {
			groups = []string{""}
		}
		for _, g := range groups {
			if k := [2]string{t.Account, g}; !seen[k] {
				seen[k] = true
				c.places = append(c.places, k)
			}
		}
	}
	sort.Slice(c.places, func(i, j int) bool { return c.places[i][0]+c.places[i][1] < c.places[j][0]+c.places[j][1] })
	return c
}

type catalog struct {
	p      *Provider
	places [][2]string // subscription, resource group ("": all of it)
}

// ListPrePatchBackups lists the snapshots patchgate tagged as a VM's
// pre-patch backup; one being deleted (an earlier run's delete whose
// answer was lost) is already gone.
func (c *catalog) ListPrePatchBackups(ctx context.Context) ([]runbooks.HostBackup, error) {
	seen := map[string]bool{}
	var out []runbooks.HostBackup
	for _, pl := range c.places {
		sc, err := c.p.sub(pl[0])
		if err != nil {
			return nil, err
		}
		more, next := c.pager(sc, pl[1])
		for more() {
			page, err := next(ctx)
			if err != nil {
				return nil, fmt.Errorf("list the pre-patch snapshots of subscription %s %s: %w", pl[0], pl[1], err)
			}
			for _, s := range page {
				host := str(s.Tags[tagHost])
				if s == nil || host == "" || str(s.Tags[tagOp]) == "" || seen[str(s.ID)] {
					continue
				}
				var at time.Time
				if pr := s.Properties; pr != nil {
					if pr.ProvisioningState != nil && (*pr.ProvisioningState == "Deleting" || *pr.ProvisioningState == "Creating") {
						continue
					}
					if pr.TimeCreated != nil {
						at = pr.TimeCreated.UTC()
					}
				}
				seen[str(s.ID)] = true
				out = append(out, runbooks.HostBackup{HostID: host, HostName: path.Base(host), Cloud: runbooks.Azure,
					Kind: runbooks.BackupDiskSnapshot, ID: str(s.ID), TakenAt: at, Cycle: str(s.Tags[tagCycle]), Tag: str(s.Tags[tagOp]),
					Source: sourceCompute, Account: pl[0]})
			}
		}
	}
	return out, nil
}

// pager pages a resource group's snapshots, or a subscription's.
func (c *catalog) pager(sc *subClients, group string) (func() bool, func(context.Context) ([]*armcompute.Snapshot, error)) {
	if group == "" {
		pg := sc.snaps.NewListPager(nil)
		return pg.More, func(ctx context.Context) ([]*armcompute.Snapshot, error) {
			r, err := pg.NextPage(ctx)
			return r.Value, err
		}
	}
	pg := sc.snaps.NewListByResourceGroupPager(group, nil)
	return pg.More, func(ctx context.Context) ([]*armcompute.Snapshot, error) {
		r, err := pg.NextPage(ctx)
		return r.Value, err
	}
}

// DeleteBackup deletes a snapshot (Snapshots_Delete, a long-running
// operation polled to its end); one already gone counts as deleted.
func (c *catalog) DeleteBackup(ctx context.Context, b runbooks.HostBackup) error {
	r, err := parseSnapshot(b.ID)
	if err != nil {
		return runbooks.Errorf(runbooks.CodeInvalid, "%v", err)
	}
	sc, err := c.p.sub(r.sub)
	if err != nil {
		return err
	}
	lro, err := sc.snaps.BeginDelete(ctx, r.group, r.name, nil)
	if err == nil {
		_, err = lro.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: c.p.cfg.PollInterval})
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete snapshot %s: %w", b.ID, err)
	}
	c.p.cfg.Log.Info("pre-patch snapshot deleted", "snapshot", b.ID, "host", b.HostID, "cycle", b.Cycle)
	return nil
}
