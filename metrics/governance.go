package metrics

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

// The change-governance requests the bot makes (preflight, freezes) pass
// through the decisions wrapper to the engine; without these the bot found
// no such method behind the wrapper and answered "not available".

// governance is the engine's governance side, as the bot calls it.
type governance interface {
	Preflight(ctx context.Context, tenant, actor string) (runbooks.PreflightReport, error)
	FreezeCommand(ctx context.Context, args []string, actor string) (string, error)
	UnfreezeCommand(ctx context.Context, args []string, actor string) (string, error)
	FreezeLines(ctx context.Context) ([]string, error)
	EmergencyCommand(ctx context.Context, args []string, requester string) (string, error)
}

var _ governance = (*runbooks.Engine)(nil)
var _ governance = decisions{}

var errNoGovernance = runbooks.Errorf(runbooks.CodeUnavailable, "change governance is not available in this deployment")

func (d decisions) gov() (governance, bool) {
	g, ok := d.Engine.(governance)
	return g, ok
}

// Preflight forwards /patch preflight.
func (d decisions) Preflight(ctx context.Context, tenant, actor string) (runbooks.PreflightReport, error) {
	if g, ok := d.gov(); ok {
		return g.Preflight(ctx, tenant, actor)
	}
	return runbooks.PreflightReport{}, errNoGovernance
}

// FreezeCommand forwards /patch freeze.
func (d decisions) FreezeCommand(ctx context.Context, args []string, actor string) (string, error) {
	if g, ok := d.gov(); ok {
		return g.FreezeCommand(ctx, args, actor)
	}
	return "", errNoGovernance
}

// UnfreezeCommand forwards /patch unfreeze.
func (d decisions) UnfreezeCommand(ctx context.Context, args []string, actor string) (string, error) {
	if g, ok := d.gov(); ok {
		return g.UnfreezeCommand(ctx, args, actor)
	}
	return "", errNoGovernance
}

// FreezeLines forwards the freezes /patch status lists.
func (d decisions) FreezeLines(ctx context.Context) ([]string, error) {
	if g, ok := d.gov(); ok {
		return g.FreezeLines(ctx)
	}
	return nil, nil
}

// EmergencyCommand forwards /patch emergency.
func (d decisions) EmergencyCommand(ctx context.Context, args []string, requester string) (string, error) {
	if g, ok := d.gov(); ok {
		return g.EmergencyCommand(ctx, args, requester)
	}
	return "", errNoGovernance
}

var _ runbooks.PreflightChat = (*chat)(nil)

// PreflightPosted forwards a scheduled preflight's report to the chat it
// wraps, so it is posted through this decorator.
func (c *chat) PreflightPosted(ctx context.Context, r runbooks.PreflightReport) error {
	if pc, ok := c.inner.(runbooks.PreflightChat); ok {
		return pc.PreflightPosted(ctx, r)
	}
	return nil
}
