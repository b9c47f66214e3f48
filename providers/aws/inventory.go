package aws

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"golang.org/x/sync/errgroup"

	"github.com/patchgate/patchgate/runbooks"
)

// ssmBatch is the most instance IDs SSM takes in one InstanceIds filter or
// DescribeInstancePatchStates call.
const ssmBatch = 50

// ec2PageSize is DescribeInstances' largest page.
const ec2PageSize = 1000

// Hosts lists the running EC2 instances of env's AWS targets, each joined
// with its SSM registration and patch state. An instance SSM does not know,
// or knows as ConnectionLost, is returned with Managed false: the gate must
// see it, not skip it. Any call that still fails after retries fails the
// whole inventory, so a host is never missing silently.
func (p *Provider) Hosts(ctx context.Context, tenant runbooks.Tenant, env runbooks.Environment) ([]runbooks.Host, error) {
	var (
		mu    sync.Mutex
		hosts []runbooks.Host
	)
	g, ctx := errgroup.WithContext(ctx)
	for _, t := range env.Targets {
		if t.Cloud != runbooks.AWS {
			continue
		}
		for _, region := range p.regions(t) {
			g.Go(func() error {
				hs, err := p.regionHosts(ctx, t, region, env.Name)
				if err != nil {
					return fmt.Errorf("inventory of %s account %s in %s: %w", tenant.Name, t.Account, region, err)
				}
				mu.Lock()
				hosts = append(hosts, hs...)
				mu.Unlock()
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.Slice(hosts, func(i, j int) bool {
		a, b := hosts[i], hosts[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		return a.ID < b.ID
	})
	return hosts, nil
}

// regionHosts walks DescribeInstances page by page and, as each page
// arrives, looks its instances up in SSM in batches of 50, so the SSM calls
// of one page overlap the EC2 call of the next. Pages are read by the lean
// decoder (leanInstances): only what pageHosts needs.
func (p *Provider) regionHosts(ctx context.Context, t runbooks.Target, region, env string) ([]runbooks.Host, error) {
	c := p.clientsFor(t.Account, region)
	in := &ec2.DescribeInstancesInput{Filters: ec2Filters(t.Selector), MaxResults: aws.Int32(ec2PageSize)}
	pages := ec2.NewDescribeInstancesPaginator(c.ec2, in)
	var (
		mu    sync.Mutex
		hosts []runbooks.Host
	)
	g, gctx := errgroup.WithContext(ctx)
	for pages.HasMorePages() {
		var out *ec2.DescribeInstancesOutput
		err := p.call(gctx, t.Account, func() (err error) {
			out, err = pages.NextPage(gctx, leanInstances)
			return err
		})
		if err != nil {
			g.Wait()
			return nil, fmt.Errorf("ec2 DescribeInstances: %w", err)
		}
		page := pageHosts(out, t.Account, region, env)
		for batch := range slices.Chunk(page, ssmBatch) {
			g.Go(func() error {
				if err := p.joinSSM(gctx, c, batch); err != nil {
					return err
				}
				mu.Lock()
				hosts = append(hosts, batch...)
				mu.Unlock()
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return hosts, nil
}

// ec2Filters selects running instances carrying every selector tag.
// Stopped instances cannot be patched and are left out.
func ec2Filters(selector map[string]string) []ec2types.Filter {
	fs := []ec2types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"running"}}}
	keys := make([]string, 0, len(selector))
	for k := range selector {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fs = append(fs, ec2types.Filter{Name: aws.String("tag:" + k), Values: []string{selector[k]}})
	}
	return fs
}

// pageHosts turns one DescribeInstances page into hosts not yet joined
// with SSM (so unmanaged until proven otherwise).
func pageHosts(out *ec2.DescribeInstancesOutput, account, region, env string) []runbooks.Host {
	var hs []runbooks.Host
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			h := runbooks.Host{
				ID: aws.ToString(i.InstanceId), Cloud: runbooks.AWS, Account: account, Region: region, Env: env,
				OS: aws.ToString(i.PlatformDetails), AgentStatus: "not registered in SSM", Source: runbooks.SourceAWSSSM,
			}
			for _, tag := range i.Tags {
				if aws.ToString(tag.Key) == "Name" {
					h.Name = aws.ToString(tag.Value)
				}
			}
			if h.Name == "" {
				h.Name = h.ID
			}
			hs = append(hs, h)
		}
	}
	return hs
}
