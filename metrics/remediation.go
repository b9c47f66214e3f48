package metrics

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.RemediationChat = (*chat)(nil)

// RemediationChanged forwards a remediation to the chat it wraps, so the
// bot's remediation cards are posted through this decorator; a chat that
// shows no remediations is skipped.
func (c *chat) RemediationChanged(ctx context.Context, r *runbooks.Remediation, events []runbooks.Event) error {
	if rc, ok := c.inner.(runbooks.RemediationChat); ok {
		return rc.RemediationChanged(ctx, r, events)
	}
	return nil
}
