package sim

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

// Problems returns the open problems of tenant/env, none for an environment
// the fleet does not monitor.
func (f *Fleet) Problems(ctx context.Context, tenant, env string) ([]runbooks.Problem, error) {
	var out []runbooks.Problem
	err := f.call(ctx, MethodProblems, func(int) error {
		out = append(out, f.st.Health[tenant+"/"+env]...)
		out = append(out, f.appProblems(tenant, env)...)
		return nil
	})
	return out, err
}

// appProblems are the problems of tenant/env's hosts whose application
// breaks once patched (Faults.AppBreaks) and that are not rolled back.
func (f *Fleet) appProblems(tenant, env string) []runbooks.Problem {
	var out []runbooks.Problem
	now := f.now()
	for _, page := range f.w.pages[tenant+"/"+env] {
		for _, i := range page {
			if !f.st.Hosts[i].AppBreaks {
				continue
			}
			if h := f.view(i, now); !h.LastPatched.IsZero() && h.LastPatched.Equal(f.patchedAt[i]) {
				out = append(out, runbooks.Problem{ID: "sim-app-" + h.ID,
					Title: "application on " + h.Name + " fails its health check since it was patched"})
			}
		}
	}
	return out
}
