package drift

import (
	"sort"
	"time"
)

// DigestOf groups check results into a digest without the store: items
// carry their IDs but no decisions and nothing is resolved. The CLI uses it
// (`patchgate drift check` must not need the store a running bot holds);
// Report.Build groups the same way, with the stored items.
func DigestOf(results []Result, at time.Time) Digest {
	return assemble(results, at, func(res Result) WorkspaceReport {
		w := res.Workspace
		wr := workspaceReport(res)
		add := func(kind string, cs []Change) {
			for _, c := range cs {
				wr.Items = append(wr.Items, Item{ID: ItemID(w.Name, kind, c.Address), Workspace: w.Name, Tenant: w.Tenant,
					Account: w.Account, Kind: kind, Address: c.Address, Type: c.Type, Action: c.Action, Paths: c.Paths,
					Status: ItemOpen, FirstSeen: at, LastSeen: at})
			}
		}
		add(KindDrift, res.Drift)
		add(KindPlanned, res.Changes)
		return wr
	})
}

// workspaceReport is a workspace's line of the digest before its items.
func workspaceReport(res Result) WorkspaceReport {
	return WorkspaceReport{Name: res.Workspace.Name, Status: res.Status, Error: res.Error, Outputs: res.Outputs}
}

// assemble builds the digest of results: one group per tenant and account,
// workspaces by name, each workspace's report made by report (called once
// per result, in order).
func assemble(results []Result, at time.Time, report func(Result) WorkspaceReport) Digest {
	groups := map[[2]string]*Group{}
	for _, res := range results {
		w := res.Workspace
		k := [2]string{w.Tenant, w.Account}
		if groups[k] == nil {
			groups[k] = &Group{Tenant: w.Tenant, Account: w.Account}
		}
		groups[k].Workspaces = append(groups[k].Workspaces, report(res))
	}
	d := Digest{At: at}
	for _, g := range groups {
		sort.Slice(g.Workspaces, func(i, j int) bool { return g.Workspaces[i].Name < g.Workspaces[j].Name })
		d.Groups = append(d.Groups, *g)
	}
	sort.Slice(d.Groups, func(i, j int) bool {
		a, b := d.Groups[i], d.Groups[j]
		return a.Tenant < b.Tenant || a.Tenant == b.Tenant && a.Account < b.Account
	})
	return d
}
