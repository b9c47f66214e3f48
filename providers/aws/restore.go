package aws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.Restorer = (*Provider)(nil)

// sourceEC2 names EC2 as the system that restored a host.
const sourceEC2 = "aws-ec2"

// tagRollback labels what a rollback creates (the replace-root-volume
// task), so a resumed step finds its own earlier request.
const tagRollback = "patchgate:rollback"

// restoreHandle is what a host's restore stores: every ID a poll needs.
type restoreHandle struct {
	Kind     string `json:"kind"` // "restore"
	Account  string `json:"account"`
	Region   string `json:"region"`
	Instance string `json:"instance"`
	Task     string `json:"task"` // replace-root-volume task ID
}

func (h restoreHandle) encode() string {
	b, _ := json.Marshal(h)
	return string(b)
}

// PrePatchBackups lists the images of a backup handle, one per instance,
// with when EC2 says each was created, and its database snapshots (an RDS
// database is restored beside its original, never over it).
func (p *Provider) PrePatchBackups(ctx context.Context, hs string) ([]runbooks.HostBackup, error) {
	h, err := decodeHandle(hs, "backup")
	if err != nil {
		return nil, err
	}
	cycle, _, _ := strings.Cut(h.Tag, "/")
	var out []runbooks.HostBackup
	for _, pt := range h.Parts {
		c := p.clientsFor(pt.Account, pt.Region)
		created, err := p.imageCreated(ctx, c, pt.Images)
		if err != nil {
			return nil, err
		}
		for _, inst := range sortedKeys(pt.Images) {
			img := pt.Images[inst]
			at := created[img]
			if at.IsZero() {
				at = h.Started
			}
			out = append(out, runbooks.HostBackup{HostID: inst, HostName: h.name(inst), Cloud: runbooks.AWS,
				Kind: runbooks.BackupImage, ID: img, TakenAt: at, Cycle: cycle, Tag: h.Tag, Source: sourceEC2})
		}
		for _, id := range pt.DBSnapshots {
			b, err := p.dbSnapshotBackup(ctx, c, id)
			if err != nil {
				return nil, err
			}
			b.Cycle, b.Tag = cycle, h.Tag
			out = append(out, b)
		}
	}
	return out, nil
}

// imageCreated maps image ID → creation time.
func (p *Provider) imageCreated(ctx context.Context, c *regional, images map[string]string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	if len(images) == 0 {
		return out, nil
	}
	ids := make([]string, 0, len(images))
	for _, id := range images {
		ids = append(ids, id)
	}
	var res *ec2.DescribeImagesOutput
	err := p.call(ctx, c.account, func() (err error) {
		res, err = c.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: ids, Owners: []string{"self"}})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeImages of %d pre-patch images in %s/%s: %w", len(ids), c.account, c.region, err)
	}
	for _, img := range res.Images {
		if t, err := time.Parse(time.RFC3339, aws.ToString(img.CreationDate)); err == nil {
			out[aws.ToString(img.ImageId)] = t.UTC()
		}
	}
	return out, nil
}

// dbSnapshotBackup describes a pre-patch DB snapshot as the backup of its
// database.
func (p *Provider) dbSnapshotBackup(ctx context.Context, c *regional, id string) (runbooks.HostBackup, error) {
	var res *rds.DescribeDBSnapshotsOutput
	err := p.call(ctx, c.account, func() (err error) {
		res, err = c.rds.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(id)})
		return err
	})
	if err != nil {
		return runbooks.HostBackup{}, fmt.Errorf("rds DescribeDBSnapshots %s in %s/%s: %w", id, c.account, c.region, err)
	}
	if len(res.DBSnapshots) == 0 {
		return runbooks.HostBackup{}, runbooks.Errorf(runbooks.CodeNotFound, "DB snapshot %s is gone from %s/%s", id, c.account, c.region)
	}
	s := res.DBSnapshots[0]
	db := aws.ToString(s.DBInstanceIdentifier)
	return runbooks.HostBackup{HostID: db, HostName: "rds " + db, Cloud: runbooks.AWS, Kind: runbooks.BackupDBSnapshot,
		ID: id, TakenAt: aws.ToTime(s.SnapshotCreateTime).UTC(), Source: "aws-rds"}, nil
}

// clientToken makes CreateReplaceRootVolumeTask idempotent per request
// tag: EC2 returns the first task for a repeated token (64 ASCII at most).
func clientToken(tag string) string {
	sum := sha256.Sum256([]byte(tag))
	return "patchgate-" + hex.EncodeToString(sum[:20])
}

// FindRestore finds the replace-root-volume task an earlier step started
// with req's tag (EC2 filters these tasks by instance only, so the tags
// are matched here).
func (p *Provider) FindRestore(ctx context.Context, req runbooks.RestoreRequest) (runbooks.RestoreStatus, bool, error) {
	if req.Backup.Kind == runbooks.BackupDBSnapshot {
		return runbooks.RestoreStatus{}, false, nil // a MOP; nothing was sent
	}
	c := p.clientsFor(req.Host.Account, req.Host.Region)
	var res *ec2.DescribeReplaceRootVolumeTasksOutput
	err := p.call(ctx, c.account, func() (err error) {
		res, err = c.ec2.DescribeReplaceRootVolumeTasks(ctx, &ec2.DescribeReplaceRootVolumeTasksInput{
			Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: []string{req.Host.ID}}}})
		return err
	})
	if err != nil {
		return runbooks.RestoreStatus{}, false, fmt.Errorf("ec2 DescribeReplaceRootVolumeTasks of %s in %s/%s: %w", req.Host.ID, c.account, c.region, err)
	}
	for _, t := range res.ReplaceRootVolumeTasks {
		if tagValue(t.Tags, tagKey) == req.Tag {
			return taskStatus(c, req.Host.ID, t), true, nil
		}
	}
	return runbooks.RestoreStatus{}, false, nil
}

// StartRestore replaces an instance's root volume with one made from its
// pre-patch image: the instance keeps its ID, IPs and network interfaces;
// the patched volume is kept (detached) for forensics. A database gets its
// method of procedure instead (restore beside the original, move the
// endpoint), marked manual.
func (p *Provider) StartRestore(ctx context.Context, req runbooks.RestoreRequest) (runbooks.RestoreStatus, error) {
	if req.Backup.Kind == runbooks.BackupDBSnapshot {
		return runbooks.RestoreStatus{Step: "manual procedure", Manual: rdsMOP(req), Source: "aws-rds"}, nil
	}
	c := p.clientsFor(req.Host.Account, req.Host.Region)
	var res *ec2.CreateReplaceRootVolumeTaskOutput
	err := p.call(ctx, c.account, func() (err error) {
		res, err = c.ec2.CreateReplaceRootVolumeTask(ctx, &ec2.CreateReplaceRootVolumeTaskInput{
			InstanceId: aws.String(req.Host.ID), ImageId: aws.String(req.Backup.ID),
			ClientToken: aws.String(clientToken(req.Tag)), DeleteReplacedRootVolume: aws.Bool(false),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeReplaceRootVolumeTask,
				Tags: []ec2types.Tag{{Key: aws.String(tagKey), Value: aws.String(req.Tag)}, {Key: aws.String(tagRollback), Value: aws.String(req.Rollback)},
					{Key: aws.String(tagTenant), Value: aws.String(req.Tenant)}}}},
		})
		return err
	})
	if err != nil {
		return runbooks.RestoreStatus{}, fmt.Errorf("ec2 CreateReplaceRootVolumeTask of %s from %s in %s/%s: %w", req.Host.ID, req.Backup.ID, c.account, c.region, err)
	}
	if res.ReplaceRootVolumeTask == nil {
		return runbooks.RestoreStatus{}, fmt.Errorf("ec2 CreateReplaceRootVolumeTask of %s answered no task", req.Host.ID)
	}
	p.cfg.Log.Info("root volume replacement started", "host", req.Host.ID, "image", req.Backup.ID,
		"task", aws.ToString(res.ReplaceRootVolumeTask.ReplaceRootVolumeTaskId), "tag", req.Tag)
	return taskStatus(c, req.Host.ID, *res.ReplaceRootVolumeTask), nil
}

// PollRestore polls the replace-root-volume task.
func (p *Provider) PollRestore(ctx context.Context, req runbooks.RestoreRequest, hs string) (runbooks.RestoreStatus, error) {
	var h restoreHandle
	if err := json.Unmarshal([]byte(hs), &h); err != nil || h.Kind != "restore" || h.Task == "" {
		return runbooks.RestoreStatus{}, runbooks.Errorf(runbooks.CodeInvalid, "not an AWS restore handle: %.60q", hs)
	}
	c := p.clientsFor(h.Account, h.Region)
	var res *ec2.DescribeReplaceRootVolumeTasksOutput
	err := p.call(ctx, c.account, func() (err error) {
		res, err = c.ec2.DescribeReplaceRootVolumeTasks(ctx, &ec2.DescribeReplaceRootVolumeTasksInput{ReplaceRootVolumeTaskIds: []string{h.Task}})
		return err
	})
	if err != nil {
		return runbooks.RestoreStatus{}, fmt.Errorf("ec2 DescribeReplaceRootVolumeTasks %s of %s in %s/%s: %w", h.Task, h.Instance, c.account, c.region, err)
	}
	for _, t := range res.ReplaceRootVolumeTasks {
		if aws.ToString(t.ReplaceRootVolumeTaskId) == h.Task {
			return taskStatus(c, h.Instance, t), nil
		}
	}
	return runbooks.RestoreStatus{}, runbooks.Errorf(runbooks.CodeNotFound, "replace-root-volume task %s of %s is gone", h.Task, h.Instance)
}

// taskStatus reads a task's state. A failed task says whether the
// instance kept its root volume or was left without one.
func taskStatus(c *regional, instance string, t ec2types.ReplaceRootVolumeTask) runbooks.RestoreStatus {
	task := aws.ToString(t.ReplaceRootVolumeTaskId)
	st := runbooks.RestoreStatus{Source: sourceEC2,
		Handle: restoreHandle{Kind: "restore", Account: c.account, Region: c.region, Instance: instance, Task: task}.encode(),
		Step:   "replace-root-volume " + task + ": " + string(t.TaskState)}
	switch t.TaskState {
	case ec2types.ReplaceRootVolumeTaskStateSucceeded:
		st.Done = true
	case ec2types.ReplaceRootVolumeTaskStateFailed:
		st.Failed = "EC2 failed the root volume replacement; the original (patched) root volume is still attached"
	case ec2types.ReplaceRootVolumeTaskStateFailedDetached:
		st.Failed = "EC2 failed the root volume replacement and the instance has NO root volume attached; reattach its original volume by hand"
	}
	return st
}

func tagValue(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// rdsMOP is the method of procedure for a database: RDS is never
// overwritten automatically.
func rdsMOP(req runbooks.RestoreRequest) []string {
	db, snap := req.Host.ID, req.Backup.ID
	target := db + "-rollback"
	return []string{
		fmt.Sprintf("Restore snapshot %s to a new instance beside %s: aws rds restore-db-instance-from-db-snapshot --db-instance-identifier %s --db-snapshot-identifier %s (same subnet group, parameter and option groups, security groups) in %s/%s",
			snap, db, target, snap, req.Host.Account, req.Host.Region),
		fmt.Sprintf("Wait until %s is available; check the application against it", target),
		fmt.Sprintf("Stop writes to %s (application maintenance mode)", db),
		fmt.Sprintf("Move the endpoint: point the application's DNS record or configuration from %s to %s (or rename the instances)", db, target),
		fmt.Sprintf("Keep %s (the patched database) stopped, not deleted, until the incident review", db),
	}
}
