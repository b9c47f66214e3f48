package aws

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"golang.org/x/sync/errgroup"

	"github.com/patchgate/patchgate/runbooks"
)

// joinSSM fills in, for at most 50 hosts of one region, what SSM knows: the
// agent's registration and ping status, the platform, and the last patch
// state. The two lookups run side by side; their answers are read by the
// lean decoders (leanInstanceInfo, leanPatchStates).
func (p *Provider) joinSSM(ctx context.Context, c *regional, hosts []runbooks.Host) error {
	ids := make([]string, len(hosts))
	for i, h := range hosts {
		ids[i] = h.ID
	}
	var (
		infos  map[string]ssmtypes.InstanceInformation
		states map[string]ssmtypes.InstancePatchState
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { infos, err = p.instanceInfo(gctx, c, ids); return err })
	g.Go(func() (err error) { states, err = p.patchStates(gctx, c, ids); return err })
	if err := g.Wait(); err != nil {
		return err
	}
	for i := range hosts {
		h := &hosts[i]
		if info, ok := infos[h.ID]; ok {
			applyInfo(h, info)
		}
		if st, ok := states[h.ID]; ok {
			h.PendingPatches = int(st.MissingCount)
			h.LastPatched = lastInstall(st)
		}
	}
	return p.pendingKernels(ctx, c, hosts)
}

// applyInfo marks a host managed only when its agent is Online: a
// ConnectionLost or Inactive agent cannot run a patch command.
func applyInfo(h *runbooks.Host, info ssmtypes.InstanceInformation) {
	h.Managed = info.PingStatus == ssmtypes.PingStatusOnline
	h.AgentStatus = string(info.PingStatus)
	if v := aws.ToString(info.AgentVersion); v != "" {
		h.AgentStatus += " (agent " + v + ")"
	}
	if n := aws.ToString(info.PlatformName); n != "" {
		h.OS = n
	}
	h.OSVersion = aws.ToString(info.PlatformVersion)
	if h.Name == h.ID && aws.ToString(info.ComputerName) != "" {
		h.Name = aws.ToString(info.ComputerName)
	}
}

// lastInstall is when patches were last installed, as SSM recorded it.
func lastInstall(st ssmtypes.InstancePatchState) (t0 time.Time) {
	if st.Operation == ssmtypes.PatchOperationTypeInstall && st.OperationEndTime != nil {
		return *st.OperationEndTime
	}
	if st.LastNoRebootInstallOperationTime != nil {
		return *st.LastNoRebootInstallOperationTime
	}
	return t0
}

// instanceInfo pages DescribeInstanceInformation filtered to ids. Should
// SSM refuse the filter because an ID is not a managed node
// (InvalidInstanceId), the batch is halved until the refused IDs stand
// alone: those are unmanaged, the rest are still looked up.
func (p *Provider) instanceInfo(ctx context.Context, c *regional, ids []string) (map[string]ssmtypes.InstanceInformation, error) {
	out := map[string]ssmtypes.InstanceInformation{}
	pages := ssm.NewDescribeInstanceInformationPaginator(c.ssm, &ssm.DescribeInstanceInformationInput{
		Filters:    []ssmtypes.InstanceInformationStringFilter{{Key: aws.String("InstanceIds"), Values: ids}},
		MaxResults: aws.Int32(ssmBatch),
	})
	for pages.HasMorePages() {
		var page *ssm.DescribeInstanceInformationOutput
		err := p.call(ctx, c.account, func() (err error) { page, err = pages.NextPage(ctx, leanInstanceInfo); return err })
		var invalid *ssmtypes.InvalidInstanceId
		switch {
		case errors.As(err, &invalid) && len(ids) == 1:
			return out, nil
		case errors.As(err, &invalid):
			return p.splitInfo(ctx, c, ids)
		case err != nil:
			return nil, fmt.Errorf("ssm DescribeInstanceInformation: %w", err)
		}
		for _, i := range page.InstanceInformationList {
			out[aws.ToString(i.InstanceId)] = i
		}
	}
	return out, nil
}

func (p *Provider) splitInfo(ctx context.Context, c *regional, ids []string) (map[string]ssmtypes.InstanceInformation, error) {
	half := len(ids) / 2
	a, err := p.instanceInfo(ctx, c, ids[:half])
	if err != nil {
		return nil, err
	}
	b, err := p.instanceInfo(ctx, c, ids[half:])
	if err != nil {
		return nil, err
	}
	maps.Copy(a, b)
	return a, nil
}

// patchStates pages DescribeInstancePatchStates for ids (≤ 50).
func (p *Provider) patchStates(ctx context.Context, c *regional, ids []string) (map[string]ssmtypes.InstancePatchState, error) {
	out := map[string]ssmtypes.InstancePatchState{}
	pages := ssm.NewDescribeInstancePatchStatesPaginator(c.ssm, &ssm.DescribeInstancePatchStatesInput{
		InstanceIds: ids, MaxResults: aws.Int32(ssmBatch),
	})
	for pages.HasMorePages() {
		var page *ssm.DescribeInstancePatchStatesOutput
		err := p.call(ctx, c.account, func() (err error) { page, err = pages.NextPage(ctx, leanPatchStates); return err })
		if err != nil {
			return nil, fmt.Errorf("ssm DescribeInstancePatchStates: %w", err)
		}
		for _, s := range page.InstancePatchStates {
			out[aws.ToString(s.InstanceId)] = s
		}
	}
	return out, nil
}
