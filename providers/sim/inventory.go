package sim

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

// Hosts lists every instance of the tenant's environment the way the real
// providers do: each (target, region) is listed page by page, and each
// instance is joined with what its patch agent reports.
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
		for _, g := range groups {
			f.st.Stats.InventoryPages += max(1, (len(g)+f.cfg.PageSize-1)/f.cfg.PageSize)
			for _, i := range g {
				hosts = append(hosts, f.view(i, now))
			}
		}
		return nil
	})
	return hosts, err
}
