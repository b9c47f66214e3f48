package bot

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

// CmdPrevention requests a Detection → Prevention rollout of a tier, or
// its rollback to detection.
const CmdPrevention Subcommand = "prevention"

const (
	preventionArgs    = "<tenant> <tier> | rollback <tenant> <tier>"
	preventionSummary = "move a tier's Falcon host group to the prevention policy after its required exclusions are checked, then watch its detections for the monitoring window before the next tier may follow (tiers go in pipeline order); `rollback` returns the tier to detection. The tier's approvers approve it on its message"
)

// Preventions is the part of the engine /patch prevention calls; the
// CLI's `patchgate prevention start|rollback` calls the same.
type Preventions interface {
	RequestPrevention(ctx context.Context, req runbooks.PreventionRequest) (*runbooks.Prevention, error)
}

var _ Preventions = (*runbooks.Engine)(nil)

// parsePrevention reads `prevention [rollback] <tenant> <tier>`.
func parsePrevention(usage string, args []string) (Command, error) {
	mode := runbooks.ModePrevention
	if len(args) > 0 && args[0] == "rollback" {
		mode, args = runbooks.ModeDetection, args[1:]
	}
	if len(args) != 2 {
		return Command{}, cmdErr(usage, "prevention needs a tenant and a tier.")
	}
	tenant, err := parseTenant(usage, args[0])
	if err != nil {
		return Command{}, err
	}
	tier, err := parseTenant(usage, args[1]) // tier names follow tenant names' rules
	if err != nil {
		return Command{}, cmdErr(usage, "%s is not a tier name.", quote(args[1]))
	}
	return Command{Name: CmdPrevention, Tenant: tenant, Env: tier, Args: mode}, nil
}

// prevention requests the rollout for the person who typed the command;
// its own message, with Approve and Reject, follows in the channel.
func (h *Handler) prevention(ctx context.Context, cmd Command, user string, log []any) string {
	ps, ok := h.engine.(Preventions)
	if !ok {
		return "Prevention rollouts are not available in this deployment."
	}
	if msg, ok := h.knownTenant(cmd.Tenant, usageOf(CmdPrevention)); !ok {
		return msg
	}
	p, err := ps.RequestPrevention(ctx, runbooks.PreventionRequest{Tenant: cmd.Tenant, Tier: cmd.Env, Mode: cmd.Args, Requester: user,
		Reason: "requested with /patch prevention"})
	if err != nil {
		return h.refusal(err, "request a prevention rollout", append(log, "tenant", cmd.Tenant, "tier", cmd.Env)...)
	}
	return p.RequestedText()
}
