package metrics

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.PreventionChat = (*chat)(nil)

// PreventionChanged forwards a prevention rollout to the chat it wraps,
// so the bot's rollout messages are posted through this decorator; a chat
// that shows no rollouts is skipped.
func (c *chat) PreventionChanged(ctx context.Context, p *runbooks.Prevention, events []runbooks.Event) error {
	if pc, ok := c.inner.(runbooks.PreventionChat); ok {
		return pc.PreventionChanged(ctx, p, events)
	}
	return nil
}

// RequestPrevention forwards to the engine, so the bot's /patch
// prevention reaches it through this wrapper.
func (d decisions) RequestPrevention(ctx context.Context, req runbooks.PreventionRequest) (*runbooks.Prevention, error) {
	ps, ok := d.Engine.(interface {
		RequestPrevention(context.Context, runbooks.PreventionRequest) (*runbooks.Prevention, error)
	})
	if !ok {
		return nil, runbooks.Errorf(runbooks.CodeUnavailable, "prevention rollouts are not available in this deployment")
	}
	return ps.RequestPrevention(ctx, req)
}
