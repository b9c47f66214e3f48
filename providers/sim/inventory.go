package sim

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

// Hosts lists every instance of the tenant's environment the way the real
// providers do: each (target, region) is listed page by page, and each
// instance is joined with what its patch agent reports. Only the targets in
// env are listed, so behind a router the simulation answers for its own
// cloud's targets and no others.
func (f *Fleet) Hosts(ctx context.Context, tenant runbooks.Tenant, env runbooks.Environment) ([]runbooks.Host, error) {
	var hosts []runbooks.Host
	err := f.call(ctx, MethodHosts, func(int) error {
		scope := tenant.Name + "/" + env.Name
		groups, ok := f.w.pages[scope]
		if !ok {
			return runbooks.Errorf(runbooks.CodeNotFound, "sim: no environment %s in the simulated fleet", scope)
		}
		now := f.now()
		f.st.Stats.InventoryCalls++
		asked := map[[2]string]bool{}
		for _, t := range env.Targets {
			asked[[2]string{string(t.Cloud), t.Account}] = true
		}
		for _, g := range groups {
			if len(g) == 0 {
				continue
			}
			if h := f.w.hosts[g[0]]; len(asked) > 0 && !asked[[2]string{string(h.Cloud), h.Account}] {
				continue
			}
			f.st.Stats.InventoryPages += max(1, (len(g)+f.cfg.PageSize-1)/f.cfg.PageSize)
			for _, i := range g {
				hosts = append(hosts, f.view(i, now))
			}
		}
		return nil
	})
	return hosts, err
}
