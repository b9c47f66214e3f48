package multi

import (
	"context"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// Hosts lists the environment's hosts in every cloud it spans, each cloud's
// provider asked only about its own targets, and returns one inventory in
// cloud order.
func (r *Router) Hosts(ctx context.Context, tenant runbooks.Tenant, env runbooks.Environment) ([]runbooks.Host, error) {
	byCloud := map[runbooks.Cloud]runbooks.Environment{}
	for _, t := range env.Targets {
		e := byCloud[t.Cloud]
		e.Name = env.Name
		e.Targets = append(e.Targets, t)
		byCloud[t.Cloud] = e
	}
	var missing []string
	for _, name := range sortedKeys(byCloud) {
		if _, ok := r.clouds[name]; !ok {
			missing = append(missing, string(name))
		}
	}
	if len(missing) > 0 {
		// Skipping a cloud would report its hosts as absent, the very
		// silent gap the inventory gate exists to catch.
		return nil, runbooks.Errorf(runbooks.CodeBlocked, "environment %s has targets in %s but no provider is configured for it",
			env.Name, strings.Join(missing, ", "))
	}
	found := make(map[runbooks.Cloud][]runbooks.Host, len(byCloud))
	var mu syncMap
	err := each(byCloud, func(name runbooks.Cloud, e runbooks.Environment) error {
		inv := r.clouds[name].Inventory
		hosts, err := inv.Hosts(ctx, tenant, e)
		if err != nil {
			return err
		}
		// Each host keeps the source its own cloud's provider gave it; a
		// provider that names one source for all its hosts fills the rest.
		if src := runbooks.SourceOf(inv); src != "" {
			for i := range hosts {
				if hosts[i].Source == "" {
					hosts[i].Source = src
				}
			}
		}
		mu.do(func() { found[name] = hosts })
		return nil
	})
	if err != nil {
		return nil, err
	}
	var all []runbooks.Host
	for _, name := range sortedKeys(found) {
		all = append(all, found[name]...)
	}
	return all, nil
}
