package gcp

import (
	"context"
	"fmt"
	"slices"

	"github.com/patchgate/patchgate/runbooks"
)

// Hosts lists the running instances of the environment's GCP targets, each
// joined with its OS Config inventory report. An instance without a report,
// or with one older than InventoryMaxAge, is listed as unmanaged: the
// patch job could not reach it.
func (p *Provider) Hosts(ctx context.Context, tenant runbooks.Tenant, env runbooks.Environment) ([]runbooks.Host, error) {
	var hosts []runbooks.Host
	seen := map[string]bool{} // project/id: targets with overlapping selectors list a VM once
	for _, t := range env.Targets {
		if t.Cloud != runbooks.GCP {
			continue
		}
		vms, err := p.instances(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("gcp inventory of %s/%s: %w", tenant.Name, env.Name, err)
		}
		byZone := map[string][]vm{}
		for _, v := range vms {
			byZone[v.Zone] = append(byZone[v.Zone], v)
		}
		zones := make([]string, 0, len(byZone))
		for z := range byZone {
			zones = append(zones, z)
		}
		slices.Sort(zones)
		for _, z := range zones {
			reps, err := p.reports(ctx, t.Account, z)
			if err != nil {
				return nil, fmt.Errorf("gcp inventory of %s/%s: %w", tenant.Name, env.Name, err)
			}
			for _, v := range byZone[z] {
				if key := v.Project + "/" + v.ID; !seen[key] {
					seen[key] = true
					hosts = append(hosts, p.host(v, reps, env.Name))
				}
			}
		}
	}
	return hosts, nil
}

func (p *Provider) host(v vm, reps map[string]report, env string) runbooks.Host {
	h := runbooks.Host{ID: v.ID, Name: v.Name, Cloud: runbooks.GCP, Account: v.Project, Region: v.Zone, Env: env, Source: runbooks.SourceGCPOSConfig}
	r, ok := reps[v.ID]
	switch {
	case !ok:
		h.AgentStatus = "no OS Config inventory report (agent not installed, not running, or OS Config not enabled on the VM)"
		return h
	case r.Updated.IsZero():
		h.AgentStatus = "OS Config inventory report has no update time"
	case p.cfg.Clock.Now().Sub(r.Updated) > p.cfg.InventoryMaxAge:
		h.AgentStatus = fmt.Sprintf("OS Config inventory last reported %s, longer ago than %v", r.Updated.UTC().Format("2006-01-02 15:04Z"), p.cfg.InventoryMaxAge)
	default:
		h.Managed, h.AgentStatus = true, "reporting"
	}
	h.OS, h.OSVersion, h.Kernel = r.ShortName, r.Version, r.Kernel
	h.PendingPatches, h.PendingKernel = r.Available, r.PendingKernel
	return h
}
