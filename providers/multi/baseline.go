package multi

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.BaselineChecker = (*Router)(nil)

// CheckBaseline asks the patcher of each cloud an environment spans to
// compare its baseline read-only. A cloud whose patcher cannot makes the
// whole check fail (unknown in the preflight), never pass: the baseline of
// its hosts was not measured.
func (r *Router) CheckBaseline(ctx context.Context, t runbooks.Tenant, env runbooks.Environment) (string, error) {
	parts := map[runbooks.Cloud][]runbooks.Target{}
	for _, tg := range env.Targets {
		parts[tg.Cloud] = append(parts[tg.Cloud], tg)
	}
	var mu sync.Mutex
	found := map[runbooks.Cloud]string{}
	err := each(parts, func(name runbooks.Cloud, tgs []runbooks.Target) error {
		c, err := r.cloud(name)
		if err != nil {
			return err
		}
		bc, ok := c.Patcher.(runbooks.BaselineChecker)
		if !ok {
			return fmt.Errorf("the %s patch provider has no read-only baseline check", name)
		}
		f, err := bc.CheckBaseline(ctx, t, runbooks.Environment{Name: env.Name, Targets: tgs})
		if err != nil {
			return err
		}
		mu.Lock()
		found[name] = f
		mu.Unlock()
		return nil
	})
	if err != nil {
		return "", err
	}
	out := make([]string, 0, len(found))
	for _, n := range sortedKeys(found) {
		out = append(out, fmt.Sprintf("%s: %s", n, found[n]))
	}
	return strings.Join(out, "; "), nil
}
