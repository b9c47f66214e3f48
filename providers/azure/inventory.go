package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/hybridcompute/armhybridcompute/v2"

	"github.com/patchgate/patchgate/runbooks"
)

// Hosts lists the VMs and Arc-enabled servers of env's Azure targets. Every
// machine ARM knows is returned; one whose guest agent or Arc agent is not
// working is returned with Managed false and the reason in AgentStatus.
func (p *Provider) Hosts(ctx context.Context, tenant runbooks.Tenant, env runbooks.Environment) ([]runbooks.Host, error) {
	var out []runbooks.Host
	seen := map[string]bool{}
	for _, t := range env.Targets {
		if t.Cloud != runbooks.Azure {
			continue
		}
		hosts, err := p.targetHosts(ctx, t, env.Name)
		if err != nil {
			return nil, fmt.Errorf("azure inventory of %s/%s, subscription %s: %w", tenant.Name, env.Name, t.Account, err)
		}
		for _, h := range hosts {
			if key := strings.ToLower(h.ID); !seen[key] { // two targets may overlap
				seen[key] = true
				out = append(out, h)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (p *Provider) targetHosts(ctx context.Context, t runbooks.Target, env string) ([]runbooks.Host, error) {
	c, err := p.sub(t.Account)
	if err != nil {
		return nil, err
	}
	groups := t.Groups
	if len(groups) == 0 {
		groups = []string{""} // the whole subscription
	}
	var vms []*armcompute.VirtualMachine
	var hosts []runbooks.Host
	for _, g := range groups {
		v, err := p.listVMs(ctx, c, t.Account, g)
		if err != nil {
			return nil, err
		}
		vms = append(vms, selectVMs(v, t)...)
		arcs, err := p.listArcs(ctx, c, t.Account, g)
		if err != nil {
			return nil, err
		}
		for _, m := range arcs {
			if m != nil && matches(m.Tags, t.Selector) && inRegions(str(m.Location), t.Regions) {
				hosts = append(hosts, arcHost(m, t.Account, env))
			}
		}
	}
	vmHosts := make([]runbooks.Host, len(vms))
	err = p.each(ctx, len(vms), func(int) string { return t.Account }, func(ctx context.Context, i int) error {
		r, err := parseMachine(str(vms[i].ID))
		if err != nil {
			return err
		}
		iv, err := c.vms.InstanceView(ctx, r.group, r.name, nil)
		var re *azcore.ResponseError
		if errors.As(err, &re) && re.StatusCode == http.StatusNotFound {
			return nil // deleted since the list: not a host any more
		}
		if err != nil {
			return fmt.Errorf("instance view of VM %s: %w", r.name, err)
		}
		vmHosts[i] = vmHost(vms[i], &iv.VirtualMachineInstanceView, t.Account, env)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, h := range vmHosts {
		if h.ID != "" {
			hosts = append(hosts, h)
		}
	}
	return hosts, nil
}

func (p *Provider) listVMs(ctx context.Context, c *subClients, sub, group string) ([]*armcompute.VirtualMachine, error) {
	var out []*armcompute.VirtualMachine
	if group == "" {
		pager := c.vms.NewListAllPager(nil)
		guard := p.pageGuard("compute virtualMachines.listAll of subscription " + sub)
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list virtual machines: %w", err)
			}
			out = append(out, page.Value...)
			if err := guard.Next(str(page.NextLink)); err != nil {
				return nil, fmt.Errorf("list virtual machines: %w", err)
			}
		}
		return out, nil
	}
	pager := c.vms.NewListPager(group, nil)
	guard := p.pageGuard("compute virtualMachines.list of resource group " + group + " in subscription " + sub)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list virtual machines in resource group %s: %w", group, err)
		}
		out = append(out, page.Value...)
		if err := guard.Next(str(page.NextLink)); err != nil {
			return nil, fmt.Errorf("list virtual machines in resource group %s: %w", group, err)
		}
	}
	return out, nil
}

func (p *Provider) listArcs(ctx context.Context, c *subClients, sub, group string) ([]*armhybridcompute.Machine, error) {
	var out []*armhybridcompute.Machine
	if group == "" {
		pager := c.arcs.NewListBySubscriptionPager(nil)
		guard := p.pageGuard("hybridcompute machines.listBySubscription of subscription " + sub)
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if stop, err := collectArcs(&out, page.MachineListResult, err, guard, "the subscription"); stop || err != nil {
				return out, err
			}
		}
		return out, nil
	}
	pager := c.arcs.NewListByResourceGroupPager(group, nil)
	guard := p.pageGuard("hybridcompute machines.listByResourceGroup of resource group " + group + " in subscription " + sub)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if stop, err := collectArcs(&out, page.MachineListResult, err, guard, "resource group "+group); stop || err != nil {
			return out, err
		}
	}
	return out, nil
}

// collectArcs adds one page of Arc machines; stop says there are no more.
func collectArcs(out *[]*armhybridcompute.Machine, page armhybridcompute.MachineListResult, err error, guard *runbooks.PageGuard, where string) (stop bool, _ error) {
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusConflict && re.ErrorCode == "MissingSubscriptionRegistration" {
		// Microsoft.HybridCompute was never registered: no Arc machines.
		return true, nil
	}
	if err != nil {
		return true, fmt.Errorf("list Arc machines in %s: %w", where, err)
	}
	*out = append(*out, page.Value...)
	if err := guard.Next(str(page.NextLink)); err != nil {
		return true, fmt.Errorf("list Arc machines in %s: %w", where, err)
	}
	return false, nil
}

// selectVMs keeps the VMs in the target's regions whose tags match its
// selector.
func selectVMs(vms []*armcompute.VirtualMachine, t runbooks.Target) []*armcompute.VirtualMachine {
	var out []*armcompute.VirtualMachine
	for _, v := range vms {
		if v != nil && matches(v.Tags, t.Selector) && inRegions(str(v.Location), t.Regions) {
			out = append(out, v)
		}
	}
	return out
}

// matches reports whether tags carry every selector key with its value.
// Azure tag names are case-insensitive and values case-sensitive, so keys
// are compared without case; a value of "*" only needs the key.
func matches(tags map[string]*string, selector map[string]string) bool {
	for k, want := range selector {
		found := false
		for tk, tv := range tags {
			if strings.EqualFold(tk, k) && (want == "*" || str(tv) == want) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// inRegions reports whether an Azure location is one of regions (all when
// none are given). ARM writes locations as "eastus2"; people also write
// "East US 2", so case and spaces are ignored.
func inRegions(location string, regions []string) bool {
	if len(regions) == 0 {
		return true
	}
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "")) }
	for _, r := range regions {
		if norm(r) == norm(location) {
			return true
		}
	}
	return false
}
