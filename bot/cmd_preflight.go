package bot

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

const preflightSummary = "dry run of a tenant's next cycle: inventory and every gate judgeable without change (unmanaged hosts, sensor/kernel, baseline, health, window, freeze, change record); opens no cycle and changes nothing"

// Preflighter is the engine's dry run; the CLI calls the same method.
type Preflighter interface {
	Preflight(ctx context.Context, tenant, actor string) (runbooks.PreflightReport, error)
}

var _ Preflighter = (*runbooks.Engine)(nil)

// preflight runs /patch preflight for user and answers with the report.
func (h *Handler) preflight(ctx context.Context, tenant, user string) string {
	if msg, ok := h.knownTenant(tenant, usageOf(CmdPreflight)); !ok {
		return msg
	}
	p, ok := h.engine.(Preflighter)
	if !ok {
		return "Preflight is not available on this patchgate."
	}
	r, err := p.Preflight(ctx, tenant, user)
	if err != nil {
		return h.refusal(err, "run a preflight", "user", user, "tenant", tenant)
	}
	return "```\n" + r.Text() + "\n```"
}
