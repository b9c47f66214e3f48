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
		return nil
	})
	return out, err
}
