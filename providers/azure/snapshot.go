package azure

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"

	"github.com/patchgate/patchgate/providers/azure/settings"
	"github.com/patchgate/patchgate/runbooks"
)

// arcNoDisk is why an Arc machine gets no snapshot.
const arcNoDisk = "Arc-enabled server: no Azure managed disk to snapshot; back it up on its own platform"

// snapshotHost starts the snapshot of one host's OS disk and returns its
// entry; failures become the entry's Fail, so one bad VM does not hide the
// others' snapshots.
func (p *Provider) snapshotHost(ctx context.Context, req runbooks.OpRequest, h runbooks.Host) entry {
	e := entry{Host: h.ID, Name: h.Name}
	r, err := parseMachine(h.ID)
	if err != nil {
		e.Fail = err.Error()
		return e
	}
	if r.kind == kindArc {
		if p.cfg.ArcBackup == settings.ArcBackupSkip {
			e.Skip = arcNoDisk
			p.cfg.Log.Info("azure backup skips an Arc machine", "host", h.Name, "tag", req.Tag, "reason", arcNoDisk)
		} else {
			e.Fail = arcNoDisk + " (set providers.azure.arc_backup: skip to record a skip instead)"
		}
		return e
	}
	c, err := p.sub(r.sub)
	if err != nil {
		e.Fail = err.Error()
		return e
	}
	vm, err := c.vms.Get(ctx, r.group, r.name, nil)
	if err != nil {
		e.Fail = "read VM: " + reason(err)
		return e
	}
	disk := osDiskID(vm.VirtualMachine)
	if disk == "" {
		e.Fail = "OS disk is not a managed disk (unmanaged VHD); no snapshot taken"
		return e
	}
	name := snapshotName(r.name, req.Tag)
	_, err = c.snaps.BeginCreateOrUpdate(ctx, r.group, name, armcompute.Snapshot{
		Location: vm.Location,
		Tags: map[string]*string{
			tagOp: to.Ptr(req.Tag), tagCycle: to.Ptr(req.Cycle), tagStage: to.Ptr(req.Stage), tagHost: to.Ptr(h.ID),
		},
		Properties: &armcompute.SnapshotProperties{
			CreationData: &armcompute.CreationData{CreateOption: to.Ptr(armcompute.DiskCreateOptionCopy), SourceResourceID: to.Ptr(disk)},
			// Incremental snapshots copy only changed blocks: cheap enough
			// to take before every patch run.
			Incremental: to.Ptr(true),
		},
	}, nil)
	if err != nil {
		e.Fail = "create snapshot " + name + ": " + reason(err)
		return e
	}
	// The poller is not kept: BackupStatus reads the snapshot itself.
	e.Snapshot = fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/snapshots/%s", r.sub, r.group, name)
	return e
}

func osDiskID(vm armcompute.VirtualMachine) string {
	p := vm.Properties
	if p == nil || p.StorageProfile == nil || p.StorageProfile.OSDisk == nil || p.StorageProfile.OSDisk.ManagedDisk == nil {
		return ""
	}
	return str(p.StorageProfile.OSDisk.ManagedDisk.ID)
}

var notNameChar = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// snapshotName is deterministic per VM and request, so a repeated create
// (after a restart) addresses the same snapshot instead of a second one.
// Azure allows 80 characters of letters, digits, _ . and -.
func snapshotName(vm, tag string) string {
	sum := sha256.Sum256([]byte(tag))
	base := notNameChar.ReplaceAllString(vm, "-")
	if len(base) > 60 {
		base = base[:60]
	}
	return "pg-" + base + "-" + hex.EncodeToString(sum[:])[:12]
}

// taggedSnapshots finds, in the hosts' resource groups, the snapshots tagged
// with the request's tag, by the host they were taken of.
func (p *Provider) taggedSnapshots(ctx context.Context, hosts []runbooks.Host, tag string) (map[string]string, error) {
	groups := map[[2]string]bool{}
	for _, h := range hosts {
		if r, err := parseMachine(h.ID); err == nil && r.kind == kindVM {
			groups[[2]string{r.sub, r.group}] = true
		}
	}
	found := map[string]string{}
	for g := range groups {
		c, err := p.sub(g[0])
		if err != nil {
			return nil, err
		}
		pager := c.snaps.NewListByResourceGroupPager(g[1], nil)
		guard := p.pageGuard("compute snapshots.listByResourceGroup of resource group " + g[1] + " in subscription " + g[0])
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list snapshots in resource group %s: %w", g[1], err)
			}
			for _, s := range page.Value {
				if s != nil && str(s.Tags[tagOp]) == tag && str(s.Tags[tagHost]) != "" {
					found[strings.ToLower(str(s.Tags[tagHost]))] = str(s.ID)
				}
			}
			if err := guard.Next(str(page.NextLink)); err != nil {
				return nil, fmt.Errorf("list snapshots in resource group %s: %w", g[1], err)
			}
		}
	}
	return found, nil
}

// parseSnapshot reads a snapshot resource ID.
func parseSnapshot(id string) (resource, error) {
	r, err := arm.ParseResourceID(id)
	if err != nil {
		return resource{}, fmt.Errorf("snapshot %s: not an ARM resource ID: %w", id, err)
	}
	return resource{id: id, sub: r.SubscriptionID, group: r.ResourceGroupName, name: r.Name}, nil
}
