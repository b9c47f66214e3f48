package aws

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/patchgate/patchgate/runbooks"
)

// StartBackup images every AWS host of req and snapshots the databases its
// targets list. It is idempotent: what an earlier, interrupted call already
// created (found by tag or deterministic name) is reused, not duplicated.
func (p *Provider) StartBackup(ctx context.Context, req runbooks.OpRequest) (string, error) {
	h, _, err := p.discoverBackup(ctx, req, true)
	if err != nil {
		return "", err
	}
	return h.encode(), nil
}

// FindBackup returns the backup of an earlier attempt with this tag when it
// covers every host and database; a partial one is not "found", so the
// engine calls StartBackup, which completes it.
func (p *Provider) FindBackup(ctx context.Context, req runbooks.OpRequest) (string, bool, error) {
	h, complete, err := p.discoverBackup(ctx, req, false)
	if err != nil || !complete {
		return "", false, err
	}
	return h.encode(), true, nil
}

// discoverBackup looks up req's images and snapshots and, with create,
// makes the missing ones. complete reports that nothing was missing.
func (p *Provider) discoverBackup(ctx context.Context, req runbooks.OpRequest, create bool) (handle, bool, error) {
	h := handle{Kind: "backup", Tag: req.Tag, Started: p.cfg.Clock.Now().UTC(), Hosts: labels(awsHosts(req.Hosts))}
	complete := true
	var order []*opPart
	parts := map[string]*opPart{}
	part := func(account, region string) *opPart {
		k := account + "/" + region
		if parts[k] == nil {
			parts[k] = &opPart{Account: account, Region: region}
			order = append(order, parts[k])
		}
		return parts[k]
	}
	for _, s := range scopes(req.Hosts) {
		images, missing, err := p.images(ctx, req, s, create)
		if err != nil {
			return handle{}, false, err
		}
		complete = complete && missing == 0
		part(s.Account, s.Region).Images = images
	}
	for _, db := range p.databases(req) {
		ok, err := p.snapshot(ctx, req, db, create)
		if err != nil {
			return handle{}, false, err
		}
		complete = complete && ok
		pt := part(db.account, db.Region)
		id := snapshotID(req.Tag, db.ID)
		if db.Cluster {
			pt.ClusterSnapshots = append(pt.ClusterSnapshots, id)
		} else {
			pt.DBSnapshots = append(pt.DBSnapshots, id)
		}
	}
	for _, pt := range order {
		h.Parts = append(h.Parts, *pt)
	}
	return h, complete, nil
}

// images returns instance → image for one scope: those already tagged with
// req.Tag, plus (with create) new ones for the rest.
func (p *Provider) images(ctx context.Context, req runbooks.OpRequest, s scope, create bool) (map[string]string, int, error) {
	c := p.clientsFor(s.Account, s.Region)
	have, err := p.taggedImages(ctx, c, req.Tag)
	if err != nil {
		return nil, 0, err
	}
	out := map[string]string{}
	missing := 0
	for _, host := range s.Hosts {
		if id, ok := have[host.ID]; ok {
			out[host.ID] = id
			continue
		}
		missing++
		if !create {
			continue
		}
		id, err := p.createImage(ctx, c, req, host)
		if err != nil {
			return nil, 0, err
		}
		out[host.ID] = id
	}
	return out, missing, nil
}

// taggedImages maps source instance → image for images carrying tag.
func (p *Provider) taggedImages(ctx context.Context, c *regional, tag string) (map[string]string, error) {
	var out *ec2.DescribeImagesOutput
	err := p.call(ctx, c.account, func() (err error) {
		out, err = c.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{
			Owners:  []string{"self"},
			Filters: []ec2types.Filter{{Name: aws.String("tag:" + tagKey), Values: []string{tag}}},
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeImages tagged %s in %s/%s: %w", tag, c.account, c.region, err)
	}
	m := map[string]string{}
	for _, img := range out.Images {
		if src := sourceInstance(img); src != "" {
			m[src] = aws.ToString(img.ImageId)
		}
	}
	return m, nil
}

// sourceInstance reads the instance an image was made from: its name ends
// with the instance ID (see imageName).
func sourceInstance(img ec2types.Image) string {
	name := aws.ToString(img.Name)
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == ' ' {
			return name[i+1:]
		}
	}
	return ""
}

func (p *Provider) createImage(ctx context.Context, c *regional, req runbooks.OpRequest, host runbooks.Host) (string, error) {
	name := imageName(req.Tag, host.ID)
	var out *ec2.CreateImageOutput
	err := p.call(ctx, c.account, func() (err error) {
		out, err = c.ec2.CreateImage(ctx, &ec2.CreateImageInput{
			InstanceId: aws.String(host.ID), Name: aws.String(name), NoReboot: aws.Bool(p.cfg.Backup.NoReboot),
			Description: aws.String("patchgate pre-patch backup of " + host.Name),
			// Only the image is tagged: it is what a resumed step looks for
			// (and moto rejects snapshot tag specifications).
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeImage, Tags: ec2Tags(req, name)}},
		})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("ec2 CreateImage of %s (%s) in %s/%s: %w", host.ID, host.Name, c.account, c.region, err)
	}
	p.cfg.Log.Info("image started", "host", host.ID, "image", aws.ToString(out.ImageId), "tag", req.Tag)
	return aws.ToString(out.ImageId), nil
}
