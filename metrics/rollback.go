package metrics

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.RollbackChat = (*chat)(nil)

// RollbackChanged forwards a rollback to the chat it wraps, so the bot's
// rollback messages are posted through this decorator; a chat that shows
// no rollbacks is skipped.
func (c *chat) RollbackChanged(ctx context.Context, rb *runbooks.Rollback, events []runbooks.Event) error {
	if rc, ok := c.inner.(runbooks.RollbackChat); ok {
		return rc.RollbackChanged(ctx, rb, events)
	}
	return nil
}
