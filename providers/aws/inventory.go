package aws

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

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
	type job struct {
		t      runbooks.Target
		region string
	}
	var jobs []job
	for _, t := range env.Targets {
		if t.Cloud != runbooks.AWS {
			continue
		}
		for _, region := range p.regions(t) {
			jobs = append(jobs, job{t, region})
		}
	}
	regions := make([][]runbooks.Host, len(jobs))
	g, ctx := errgroup.WithContext(ctx)
	for i, j := range jobs {
		g.Go(func() error {
			hs, err := p.regionHosts(ctx, j.t, j.region, env.Name)
			if err != nil {
				return fmt.Errorf("inventory of %s account %s in %s: %w", tenant.Name, j.t.Account, j.region, err)
			}
			regions[i] = hs
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return sortedHosts(regions), nil
}

// sortedHosts is every region's hosts in one slice ordered by account,
// region and ID. A Host is a few hundred bytes, so the order is found on
// small references and each host is copied once, into a slice of its
// final size, rather than moved by appends and sort swaps.
func sortedHosts(regions [][]runbooks.Host) []runbooks.Host {
	type ref struct{ r, i int32 }
	n := 0
	for _, hs := range regions {
		n += len(hs)
	}
	refs := make([]ref, 0, n)
	for r, hs := range regions {
		for i := range hs {
			refs = append(refs, ref{int32(r), int32(i)})
		}
	}
	slices.SortFunc(refs, func(x, y ref) int {
		a, b := &regions[x.r][x.i], &regions[y.r][y.i]
		if c := cmp.Compare(a.Account, b.Account); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Region, b.Region); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	out := make([]runbooks.Host, n)
	for k, x := range refs {
		out[k] = regions[x.r][x.i]
	}
	return out
}

// regionHosts walks DescribeInstances page by page and, as each page
// arrives, looks its instances up in SSM in batches of 50 (on the region's
// callPool): a batch's SSM calls start as soon as its 50 instances have
// been read (pageStream), while the rest of the page is still on its way,
// and the SSM calls of one page overlap the EC2 call of the next. Pages
// are read by the lean decoder (pageDecoder): only what pageHost needs.
// Each batch is joined in place, in its own slice.
func (p *Provider) regionHosts(ctx context.Context, t runbooks.Target, region, env string) ([]runbooks.Host, error) {
	c := p.clientsFor(t.Account, region)
	in := &ec2.DescribeInstancesInput{Filters: ec2Filters(t.Selector), MaxResults: aws.Int32(ec2PageSize)}
	pages := ec2.NewDescribeInstancesPaginator(c.ec2, in)
	var (
		read    [][]runbooks.Host
		dropped []map[string]struct{}
	)
	calls := newCallPool(ctx, p.cfg.AccountConcurrency)
	submit := func(batch []runbooks.Host) { calls.submit(p.joinSSM(c, batch)...) }
	guard := runbooks.PageGuard{Loop: fmt.Sprintf("ec2 DescribeInstances in %s/%s", t.Account, region), Max: p.maxPages}
	for pages.HasMorePages() {
		var out *ec2.DescribeInstancesOutput
		s := &pageStream{account: t.Account, region: region, env: env, submit: submit}
		err := p.call(calls.ctx, t.Account, func() (err error) {
			out, err = pages.NextPage(calls.ctx, s.option)
			return err
		})
		if err != nil {
			// A failed SSM call stops the pool, and with it a page still
			// arriving: the SSM call's error is the cause to report.
			stopped := calls.ctx.Err() != nil
			if perr := calls.stop(); stopped && ctx.Err() == nil && perr != nil && !errors.Is(perr, context.Canceled) {
				return nil, perr
			}
			return nil, fmt.Errorf("ec2 DescribeInstances: %w", err)
		}
		if err := guard.Next(aws.ToString(out.NextToken)); err != nil {
			_ = calls.stop()
			return nil, err
		}
		read = append(read, s.done()...)
		if d := s.dropped(); d != nil {
			dropped = append(dropped, d)
		}
	}
	if err := calls.wait(); err != nil {
		return nil, err
	}
	hosts := slices.Concat(read...)
	for _, d := range dropped {
		hosts = slices.DeleteFunc(hosts, func(h runbooks.Host) bool { _, gone := d[h.ID]; return gone })
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
// with SSM (so unmanaged until proven otherwise). A page the lean decoder
// read is taken from its metadata; any other from the SDK's output.
func pageHosts(out *ec2.DescribeInstancesOutput, account, region, env string) []runbooks.Host {
	if page, ok := leanPage(out); ok {
		hs := make([]runbooks.Host, len(page.Instances))
		for i, in := range page.Instances {
			hs[i] = pageHost(in, account, region, env)
		}
		return hs
	}
	n := 0
	for _, r := range out.Reservations {
		n += len(r.Instances)
	}
	hs := make([]runbooks.Host, 0, n)
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			in := pageInstance{ID: aws.ToString(i.InstanceId), PlatformDetails: aws.ToString(i.PlatformDetails)}
			for _, tag := range i.Tags {
				if aws.ToString(tag.Key) == "Name" {
					in.Name = aws.ToString(tag.Value)
				}
			}
			hs = append(hs, pageHost(in, account, region, env))
		}
	}
	return hs
}

// pageHost is one instance of a page as a host, unmanaged until SSM says
// otherwise, named by its ID when it has no Name tag.
func pageHost(in pageInstance, account, region, env string) runbooks.Host {
	h := runbooks.Host{
		ID: in.ID, Name: in.Name, Cloud: runbooks.AWS, Account: account, Region: region, Env: env,
		OS: in.PlatformDetails, AgentStatus: "not registered in SSM", Source: runbooks.SourceAWSSSM,
	}
	if h.Name == "" {
		h.Name = h.ID
	}
	return h
}
