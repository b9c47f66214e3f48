package metrics

import (
	"context"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// wrapPatcher counts a patcher's calls and keeps its optional read-only
// baseline check visible: a wrapper that hid it would make every
// preflight's baseline "not judged".
func (m *Metrics) wrapPatcher(p runbooks.Patcher) runbooks.Patcher {
	w := patcher{p, m.provider(p)}
	if _, ok := p.(runbooks.BaselineChecker); ok {
		return baselinePatcher{w}
	}
	return w
}

type baselinePatcher struct{ patcher }

func (w baselinePatcher) CheckBaseline(ctx context.Context, t runbooks.Tenant, env runbooks.Environment) (string, error) {
	start := time.Now()
	found, err := w.Patcher.(runbooks.BaselineChecker).CheckBaseline(ctx, t, env)
	w.c.observe("CheckBaseline", start, err)
	return found, err
}
