package aws

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/patchgate/patchgate/runbooks"
)

// joinSSM is the two calls that fill in, for at most 50 hosts of one
// region, what SSM knows: the agent's registration and ping status, the
// platform, and the last patch state. The calls run side by side; their
// answers are read into records of the batch's hosts (infoRecords,
// stateRecords), and whichever call ends last applies both and looks up
// the hosts' pending kernels.
func (p *Provider) joinSSM(c *regional, hosts []runbooks.Host) []func(context.Context) error {
	ids := make([]string, len(hosts))
	idx := make(batchIndex, len(hosts))
	for i, h := range hosts {
		ids[i] = h.ID
		idx[h.ID] = int32(i)
	}
	var (
		infos  []infoRecord
		states []stateRecord
		left   atomic.Int32
	)
	left.Store(2)
	// The atomic count orders each call's writes before the last one's
	// reads.
	done := func(ctx context.Context) error {
		if left.Add(-1) > 0 {
			return nil
		}
		for _, r := range infos {
			applyInfo(&hosts[r.host], r.info)
		}
		for _, r := range states {
			hosts[r.host].PendingPatches = int(r.missing)
			hosts[r.host].LastPatched = r.last
		}
		return p.pendingKernels(ctx, c, hosts)
	}
	return []func(context.Context) error{
		func(ctx context.Context) (err error) {
			if infos, err = p.instanceInfo(ctx, c, ids, idx); err != nil {
				return err
			}
			return done(ctx)
		},
		func(ctx context.Context) (err error) {
			if states, err = p.stateRecords(ctx, c, ids, idx); err != nil {
				return err
			}
			return done(ctx)
		},
	}
}

// applyInfo marks a host managed only when its agent is Online: a
// ConnectionLost or Inactive agent cannot run a patch command.
func applyInfo(h *runbooks.Host, info agentInfo) {
	h.Managed = info.Ping == ssmtypes.PingStatusOnline
	h.AgentStatus = string(info.Ping)
	if v := info.AgentVersion; v != "" {
		h.AgentStatus += " (agent " + v + ")"
	}
	if n := info.PlatformName; n != "" {
		h.OS = n
	}
	h.OSVersion = info.PlatformVersion
	if h.Name == h.ID && info.Computer != "" {
		h.Name = info.Computer
	}
}

// infoOf is an SDK InstanceInformation as applyInfo reads it.
func infoOf(i ssmtypes.InstanceInformation) agentInfo {
	return agentInfo{Ping: i.PingStatus, AgentVersion: aws.ToString(i.AgentVersion), PlatformName: aws.ToString(i.PlatformName),
		PlatformVersion: aws.ToString(i.PlatformVersion), Computer: aws.ToString(i.ComputerName)}
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

// instanceInfo pages DescribeInstanceInformation filtered to ids (hosts of
// idx). Should SSM refuse the filter because an ID is not a managed node
// (InvalidInstanceId), the batch is halved until the refused IDs stand
// alone: those are unmanaged, the rest are still looked up.
func (p *Provider) instanceInfo(ctx context.Context, c *regional, ids []string, idx batchIndex) ([]infoRecord, error) {
	var out, page []infoRecord
	pages := ssm.NewDescribeInstanceInformationPaginator(c.ssm, &ssm.DescribeInstanceInformationInput{
		Filters:    []ssmtypes.InstanceInformationStringFilter{{Key: aws.String("InstanceIds"), Values: ids}},
		MaxResults: aws.Int32(ssmBatch),
	})
	guard := runbooks.PageGuard{Loop: fmt.Sprintf("ssm DescribeInstanceInformation in %s/%s", c.account, c.region), Max: p.maxPages}
	for pages.HasMorePages() {
		var next *string
		err := p.call(ctx, c.account, func() error {
			o, err := pages.NextPage(ctx, infoRecords(idx, &page))
			if o != nil {
				next = o.NextToken
			}
			return err
		})
		var invalid *ssmtypes.InvalidInstanceId
		switch {
		case errors.As(err, &invalid) && len(ids) == 1:
			return out, nil
		case errors.As(err, &invalid):
			return p.splitInfo(ctx, c, ids, idx)
		case err != nil:
			return nil, fmt.Errorf("ssm DescribeInstanceInformation: %w", err)
		}
		if err := guard.Next(aws.ToString(next)); err != nil {
			return nil, err
		}
		out = appendPage(out, page)
	}
	return out, nil
}

// appendPage adds a page's records, taking the first page as it is.
func appendPage[R any](out, page []R) []R {
	if out == nil {
		return page
	}
	return append(out, page...)
}

func (p *Provider) splitInfo(ctx context.Context, c *regional, ids []string, idx batchIndex) ([]infoRecord, error) {
	half := len(ids) / 2
	a, err := p.instanceInfo(ctx, c, ids[:half], idx)
	if err != nil {
		return nil, err
	}
	b, err := p.instanceInfo(ctx, c, ids[half:], idx)
	if err != nil {
		return nil, err
	}
	return appendPage(a, b), nil
}

// stateRecords pages DescribeInstancePatchStates for ids (hosts of idx).
func (p *Provider) stateRecords(ctx context.Context, c *regional, ids []string, idx batchIndex) ([]stateRecord, error) {
	var out, page []stateRecord
	pages := ssm.NewDescribeInstancePatchStatesPaginator(c.ssm, &ssm.DescribeInstancePatchStatesInput{
		InstanceIds: ids, MaxResults: aws.Int32(ssmBatch),
	})
	guard := runbooks.PageGuard{Loop: fmt.Sprintf("ssm DescribeInstancePatchStates in %s/%s", c.account, c.region), Max: p.maxPages}
	for pages.HasMorePages() {
		var next *string
		err := p.call(ctx, c.account, func() error {
			o, err := pages.NextPage(ctx, stateRecords(idx, &page))
			if o != nil {
				next = o.NextToken
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("ssm DescribeInstancePatchStates: %w", err)
		}
		if err := guard.Next(aws.ToString(next)); err != nil {
			return nil, err
		}
		out = appendPage(out, page)
	}
	return out, nil
}

// patchStates pages DescribeInstancePatchStates for ids (≤ 50).
func (p *Provider) patchStates(ctx context.Context, c *regional, ids []string) (map[string]ssmtypes.InstancePatchState, error) {
	out := map[string]ssmtypes.InstancePatchState{}
	pages := ssm.NewDescribeInstancePatchStatesPaginator(c.ssm, &ssm.DescribeInstancePatchStatesInput{
		InstanceIds: ids, MaxResults: aws.Int32(ssmBatch),
	})
	guard := runbooks.PageGuard{Loop: fmt.Sprintf("ssm DescribeInstancePatchStates in %s/%s", c.account, c.region), Max: p.maxPages}
	for pages.HasMorePages() {
		var page *ssm.DescribeInstancePatchStatesOutput
		err := p.call(ctx, c.account, func() (err error) { page, err = pages.NextPage(ctx, leanPatchStates); return err })
		if err != nil {
			return nil, fmt.Errorf("ssm DescribeInstancePatchStates: %w", err)
		}
		if err := guard.Next(aws.ToString(page.NextToken)); err != nil {
			return nil, err
		}
		for _, s := range page.InstancePatchStates {
			out[aws.ToString(s.InstanceId)] = s
		}
	}
	return out, nil
}
