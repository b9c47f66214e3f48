package gcp

import (
	"context"
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
	compute "google.golang.org/api/compute/v1"
)

// Labels on every snapshot patchgate takes. Keys use underscores: they go
// into list filters.
const (
	labelTag      = "patchgate_tag"
	labelCycle    = "patchgate_cycle"
	labelStage    = "patchgate_stage"
	labelInstance = "patchgate_instance"
	labelHostID   = "patchgate_instance_id"
)

// snapshotName is the one name a host's snapshot for a tag can have, so a
// repeated request is refused as a duplicate instead of taken twice.
func snapshotName(tag string, h runbooks.Host) string {
	return resourceName("pg", h.Name, tag+"/"+h.Account+"/"+h.Region+"/"+h.ID)
}

// StartBackup snapshots each GCP host's boot disk. Snapshots that already
// exist for this tag (an interrupted earlier start) are kept, not taken
// again; a host whose disk cannot be snapshotted becomes a failed item.
func (p *Provider) StartBackup(ctx context.Context, req runbooks.OpRequest) (string, error) {
	byProject, projects := gcpHosts(req.Hosts)
	h := backupHandle{Tag: req.Tag}
	for _, project := range projects {
		have, err := p.taggedSnapshots(ctx, project, req.Tag)
		if err != nil {
			return "", err
		}
		for _, host := range byProject[project] {
			it := snapItem{Project: project, Zone: host.Region, HostID: host.ID, HostName: host.Name, Snapshot: snapshotName(req.Tag, host)}
			if name, ok := have[host.ID]; ok {
				it.Snapshot = name
			} else if err := p.snapshotBootDisk(ctx, req, host, &it); err != nil {
				return "", err
			}
			h.Items = append(h.Items, it)
		}
	}
	return h.String(), nil
}

// snapshotBootDisk asks for one snapshot. Errors the host is at fault for
// go into the item; errors worth retrying (quota, outage) are returned.
func (p *Provider) snapshotBootDisk(ctx context.Context, req runbooks.OpRequest, host runbooks.Host, it *snapItem) error {
	in, err := p.compute.Instances.Get(host.Account, host.Region, host.Name).Context(ctx).Do()
	if err != nil {
		if c := httpCode(err); c >= 400 && c < 500 && c != 429 {
			it.Err = fmt.Sprintf("instance %s/%s: %v", host.Region, host.Name, err)
			return nil
		}
		return coded(fmt.Sprintf("read instance %s/%s/%s", host.Account, host.Region, host.Name), err)
	}
	disk := ""
	for _, d := range in.Disks {
		if d.Boot {
			disk = d.Source
		}
	}
	switch {
	case disk == "":
		it.Err = "instance has no persistent boot disk"
		return nil
	case !strings.Contains(disk, "/zones/"):
		it.Err = "boot disk " + last(disk) + " is regional; only zonal boot disks are snapshotted"
		return nil
	}
	snap := &compute.Snapshot{
		Name:        it.Snapshot,
		Description: fmt.Sprintf("patchgate pre-patch backup of %s (cycle %s, stage %s, tag %s)", host.Name, req.Cycle, req.Stage, req.Tag),
		Labels: map[string]string{
			labelTag: labelValue(req.Tag), labelCycle: labelValue(req.Cycle), labelStage: labelValue(req.Stage),
			labelInstance: labelValue(host.Name), labelHostID: host.ID,
		},
	}
	op, err := p.compute.Disks.CreateSnapshot(host.Account, host.Region, last(disk), snap).Context(ctx).Do()
	switch {
	case isConflict(err):
		return nil // taken by an earlier attempt: poll the snapshot itself
	case err != nil:
		if c := httpCode(err); c >= 400 && c < 500 && c != 429 {
			it.Err = fmt.Sprintf("snapshot of disk %s: %v", last(disk), err)
			return nil
		}
		return coded(fmt.Sprintf("snapshot disk %s of %s", last(disk), host.Name), err)
	}
	it.Op = op.Name
	return nil
}

// FindBackup recovers a backup whose handle was never stored: found only
// when every GCP host already has its snapshot; otherwise StartBackup
// takes the missing ones (and keeps the others).
func (p *Provider) FindBackup(ctx context.Context, req runbooks.OpRequest) (string, bool, error) {
	byProject, projects := gcpHosts(req.Hosts)
	h := backupHandle{Tag: req.Tag}
	for _, project := range projects {
		have, err := p.taggedSnapshots(ctx, project, req.Tag)
		if err != nil {
			return "", false, err
		}
		for _, host := range byProject[project] {
			name, ok := have[host.ID]
			if !ok {
				return "", false, nil
			}
			h.Items = append(h.Items, snapItem{Project: project, Zone: host.Region, HostID: host.ID, HostName: host.Name, Snapshot: name})
		}
	}
	return h.String(), len(h.Items) > 0, nil
}

// taggedSnapshots lists the project's snapshots labelled with tag, by
// instance ID.
func (p *Provider) taggedSnapshots(ctx context.Context, project, tag string) (map[string]string, error) {
	out := map[string]string{}
	f := fmt.Sprintf("(labels.%s = %q)", labelTag, labelValue(tag))
	loop := "compute snapshots.list of project " + project + " labelled " + labelValue(tag)
	err := p.compute.Snapshots.List(project).Filter(f).Pages(ctx, guarded(p, loop, snapshotsNext, func(page *compute.SnapshotList) error {
		for _, s := range page.Items {
			if id := s.Labels[labelHostID]; id != "" && s.Status != "FAILED" && s.Status != "DELETING" {
				out[id] = s.Name
			}
		}
		return nil
	}))
	if err != nil {
		return nil, coded(fmt.Sprintf("list snapshots of project %s", project), err)
	}
	return out, nil
}

func snapshotsNext(l *compute.SnapshotList) string { return l.NextPageToken }
