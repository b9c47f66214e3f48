package aws

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/patchgate/patchgate/runbooks"
)

// BackupStatus polls every image and snapshot of a backup handle. The
// backup is done when each is available or failed; one still pending after
// the configured timeout fails with a finding naming it.
func (p *Provider) BackupStatus(ctx context.Context, hs string) (runbooks.OpStatus, error) {
	h, err := decodeHandle(hs, "backup")
	if err != nil {
		return runbooks.OpStatus{}, err
	}
	timedOut := p.cfg.Clock.Now().Sub(h.Started) > p.cfg.Backup.Timeout
	var st runbooks.OpStatus
	pending := 0
	add := func(hostID, name, what, state string, made *int) {
		st.Total++
		switch state {
		case "available":
			st.Succeeded++
			*made++
		case "pending", "creating", "copying", "":
			if !timedOut {
				pending++
				return
			}
			st.Failed++
			st.Findings = append(st.Findings, runbooks.Finding{HostID: hostID, HostName: name,
				Reason: fmt.Sprintf("%s not available after %v (state %s)", what, p.cfg.Backup.Timeout, orMissing(state))})
		default:
			st.Failed++
			st.Findings = append(st.Findings, runbooks.Finding{HostID: hostID, HostName: name,
				Reason: fmt.Sprintf("%s is %s", what, state)})
		}
	}
	for _, pt := range h.Parts {
		c := p.clientsFor(pt.Account, pt.Region)
		states, err := p.imageStates(ctx, c, pt.Images)
		if err != nil {
			return runbooks.OpStatus{}, err
		}
		for _, inst := range sortedKeys(pt.Images) {
			img := pt.Images[inst]
			add(inst, h.name(inst), "image "+img, states[img], &st.Made.Images)
		}
		for _, id := range pt.DBSnapshots {
			s, err := p.snapshotStatus(ctx, c, false, id)
			if err != nil {
				return runbooks.OpStatus{}, err
			}
			add(id, "rds "+pt.Account+"/"+pt.Region, "DB snapshot "+id, s, &st.Made.DBSnapshots)
		}
		for _, id := range pt.ClusterSnapshots {
			s, err := p.snapshotStatus(ctx, c, true, id)
			if err != nil {
				return runbooks.OpStatus{}, err
			}
			add(id, "rds "+pt.Account+"/"+pt.Region, "cluster snapshot "+id, s, &st.Made.DBClusterSnapshots)
		}
	}
	st.Done = pending == 0
	return st, nil
}

func orMissing(s string) string {
	if s == "" {
		return "missing"
	}
	return s
}

// imageStates maps image ID → state for the images of one part.
func (p *Provider) imageStates(ctx context.Context, c *regional, images map[string]string) (map[string]string, error) {
	out := map[string]string{}
	if len(images) == 0 {
		return out, nil
	}
	ids := make([]string, 0, len(images))
	for _, id := range images {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	pages := ec2.NewDescribeImagesPaginator(c.ec2, &ec2.DescribeImagesInput{
		Filters: []ec2types.Filter{{Name: aws.String("image-id"), Values: ids}}, Owners: []string{"self"}})
	guard := runbooks.PageGuard{Loop: fmt.Sprintf("ec2 DescribeImages of %d images in %s/%s", len(ids), c.account, c.region), Max: p.maxPages}
	for pages.HasMorePages() {
		var page *ec2.DescribeImagesOutput
		err := p.call(ctx, c.account, func() (err error) { page, err = pages.NextPage(ctx); return err })
		if err != nil {
			return nil, fmt.Errorf("ec2 DescribeImages of %d images in %s/%s: %w", len(ids), c.account, c.region, err)
		}
		if err := guard.Next(aws.ToString(page.NextToken)); err != nil {
			return nil, err
		}
		for _, img := range page.Images {
			out[aws.ToString(img.ImageId)] = string(img.State)
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
