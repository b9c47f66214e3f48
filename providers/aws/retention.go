package aws

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.BackupCatalog = (*Provider)(nil)

// Tags put on an AMI's EBS snapshots just before the AMI is deregistered:
// a deletion interrupted after the deregistration (its answer lost) leaves
// snapshots the next run still finds as patchgate's, and deletes.
const (
	tagRetiredImage = "patchgate:retired-image"
	tagHost         = "patchgate:host"
)

// place is one account and region the tenants' AWS targets reach.
type place struct{ account, region string }

// places are every account and region of the configured AWS targets.
func (p *Provider) places() []place {
	seen := map[place]bool{}
	var out []place
	for _, t := range p.cfg.Tenants {
		for _, env := range t.Environments {
			for _, tg := range env.Targets {
				if tg.Cloud != runbooks.AWS {
					continue
				}
				for _, r := range p.regions(tg) {
					if s := (place{tg.Account, r}); !seen[s] {
						seen[s] = true
						out = append(out, s)
					}
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].account+out[i].region < out[j].account+out[j].region })
	return out
}

// ListPrePatchBackups lists the pre-patch AMIs (owner self, tagged by
// patchgate) and the EBS snapshots of AMIs whose deletion was interrupted,
// in every account and region the targets reach.
func (p *Provider) ListPrePatchBackups(ctx context.Context) ([]runbooks.HostBackup, error) {
	var out []runbooks.HostBackup
	for _, s := range p.places() {
		c := p.clientsFor(s.account, s.region)
		imgs, err := p.prePatchImages(ctx, c)
		if err != nil {
			return nil, err
		}
		snaps, err := p.retiredSnapshots(ctx, c)
		if err != nil {
			return nil, err
		}
		out = append(append(out, imgs...), snaps...)
	}
	return out, nil
}

func (p *Provider) prePatchImages(ctx context.Context, c *regional) ([]runbooks.HostBackup, error) {
	var out []runbooks.HostBackup
	pages := ec2.NewDescribeImagesPaginator(c.ec2, &ec2.DescribeImagesInput{Owners: []string{"self"},
		Filters: []ec2types.Filter{{Name: aws.String("tag-key"), Values: []string{tagKey}}}})
	guard := runbooks.PageGuard{Loop: fmt.Sprintf("ec2 DescribeImages of pre-patch images in %s/%s", c.account, c.region), Max: p.maxPages}
	for pages.HasMorePages() {
		var page *ec2.DescribeImagesOutput
		err := p.call(ctx, c.account, func() (err error) {
			page, err = pages.NextPage(ctx)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("ec2 DescribeImages of pre-patch images in %s/%s: %w", c.account, c.region, err)
		}
		if err := guard.Next(aws.ToString(page.NextToken)); err != nil {
			return nil, err
		}
		for _, img := range page.Images {
			at, _ := time.Parse(time.RFC3339, aws.ToString(img.CreationDate))
			inst := sourceInstance(img)
			out = append(out, runbooks.HostBackup{HostID: inst, HostName: inst, Cloud: runbooks.AWS, Kind: runbooks.BackupImage,
				ID: aws.ToString(img.ImageId), TakenAt: at.UTC(), Cycle: tagValue(img.Tags, tagCycle), Tag: tagValue(img.Tags, tagKey),
				Source: sourceEC2, Account: c.account, Region: c.region})
		}
	}
	return out, nil
}

func (p *Provider) retiredSnapshots(ctx context.Context, c *regional) ([]runbooks.HostBackup, error) {
	var out []runbooks.HostBackup
	pages := ec2.NewDescribeSnapshotsPaginator(c.ec2, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"},
		Filters: []ec2types.Filter{{Name: aws.String("tag-key"), Values: []string{tagRetiredImage}}}})
	guard := runbooks.PageGuard{Loop: fmt.Sprintf("ec2 DescribeSnapshots of retired pre-patch images in %s/%s", c.account, c.region), Max: p.maxPages}
	for pages.HasMorePages() {
		var page *ec2.DescribeSnapshotsOutput
		err := p.call(ctx, c.account, func() (err error) {
			page, err = pages.NextPage(ctx)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("ec2 DescribeSnapshots of retired pre-patch images in %s/%s: %w", c.account, c.region, err)
		}
		if err := guard.Next(aws.ToString(page.NextToken)); err != nil {
			return nil, err
		}
		for _, s := range page.Snapshots {
			host := tagValue(s.Tags, tagHost)
			out = append(out, runbooks.HostBackup{HostID: host, HostName: host, Cloud: runbooks.AWS, Kind: runbooks.BackupDiskSnapshot,
				ID: aws.ToString(s.SnapshotId), TakenAt: aws.ToTime(s.StartTime).UTC(), Cycle: tagValue(s.Tags, tagCycle),
				Tag: tagValue(s.Tags, tagKey), Source: sourceEC2, Account: c.account, Region: c.region})
		}
	}
	return out, nil
}

// DeleteBackup deregisters a pre-patch AMI and deletes its EBS snapshots,
// or deletes a snapshot left by an interrupted deletion. What is already
// gone counts as deleted.
func (p *Provider) DeleteBackup(ctx context.Context, b runbooks.HostBackup) error {
	c := p.clientsFor(b.Account, b.Region)
	switch b.Kind {
	case runbooks.BackupImage:
		return p.deleteImage(ctx, c, b)
	case runbooks.BackupDiskSnapshot:
		return p.deleteSnapshot(ctx, c, b.ID)
	}
	return runbooks.Errorf(runbooks.CodeInvalid, "AWS backup %s is a %s; retention deletes pre-patch images and their snapshots", b.ID, b.Kind)
}

func (p *Provider) deleteImage(ctx context.Context, c *regional, b runbooks.HostBackup) error {
	var res *ec2.DescribeImagesOutput
	err := p.call(ctx, c.account, func() (err error) {
		res, err = c.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{b.ID}, Owners: []string{"self"}})
		return err
	})
	if imageGone(err) || err == nil && len(res.Images) == 0 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ec2 DescribeImages %s in %s/%s: %w", b.ID, c.account, c.region, err)
	}
	var snaps []string
	for _, m := range res.Images[0].BlockDeviceMappings {
		if m.Ebs != nil && aws.ToString(m.Ebs.SnapshotId) != "" {
			snaps = append(snaps, aws.ToString(m.Ebs.SnapshotId))
		}
	}
	if len(snaps) > 0 {
		err = p.call(ctx, c.account, func() error {
			_, err := c.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: snaps, Tags: []ec2types.Tag{
				{Key: aws.String(tagKey), Value: aws.String(b.Tag)}, {Key: aws.String(tagCycle), Value: aws.String(b.Cycle)},
				{Key: aws.String(tagRetiredImage), Value: aws.String(b.ID)}, {Key: aws.String(tagHost), Value: aws.String(b.HostID)}}})
			return err
		})
		if err != nil {
			return fmt.Errorf("ec2 CreateTags on the snapshots %v of %s in %s/%s: %w", snaps, b.ID, c.account, c.region, err)
		}
	}
	err = p.call(ctx, c.account, func() error {
		_, err := c.ec2.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(b.ID)})
		return err
	})
	if err != nil && !imageGone(err) {
		return fmt.Errorf("ec2 DeregisterImage %s in %s/%s: %w", b.ID, c.account, c.region, err)
	}
	for _, id := range snaps {
		if err := p.deleteSnapshot(ctx, c, id); err != nil {
			return err
		}
	}
	p.cfg.Log.Info("pre-patch image deleted", "image", b.ID, "snapshots", snaps, "host", b.HostID, "cycle", b.Cycle)
	return nil
}

func (p *Provider) deleteSnapshot(ctx context.Context, c *regional, id string) error {
	err := p.call(ctx, c.account, func() error {
		_, err := c.ec2.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(id)})
		return err
	})
	if err != nil && apiCode(err) != "InvalidSnapshot.NotFound" {
		return fmt.Errorf("ec2 DeleteSnapshot %s in %s/%s: %w", id, c.account, c.region, err)
	}
	return nil
}

// imageGone is EC2's answer for an AMI already deregistered.
func imageGone(err error) bool {
	code := apiCode(err)
	return code == "InvalidAMIID.NotFound" || code == "InvalidAMIID.Unavailable"
}
