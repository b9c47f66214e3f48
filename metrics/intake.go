package metrics

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.IntakeChat = (*chat)(nil)

// UnknownInstance forwards the intake's notice of an instance no tenant
// owns to the chat it wraps; a chat that shows no intake notices is skipped.
func (c *chat) UnknownInstance(ctx context.Context, ev runbooks.ComplianceEvent, reason string) error {
	if ic, ok := c.inner.(runbooks.IntakeChat); ok {
		return ic.UnknownInstance(ctx, ev, reason)
	}
	return nil
}

// IntakeRefused forwards the intake's notice of a refused message.
func (c *chat) IntakeRefused(ctx context.Context, r runbooks.IntakeRefusal) error {
	if ic, ok := c.inner.(runbooks.IntakeChat); ok {
		return ic.IntakeRefused(ctx, r)
	}
	return nil
}
