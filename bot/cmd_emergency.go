package bot

import (
	"context"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// The emergency change subcommands (runbooks/emergency.go).
const (
	CmdEmergency Subcommand = "emergency"
	CmdWaive     Subcommand = "waive"
)

const (
	emergencySummary = "request an EMERGENCY change (an out-of-cycle fix, e.g. a critical CVE), optionally for named hosts only: each tier's emergency approvers approve it (production: two, not you); its change record is an emergency change"
	waiveArgs        = "<cycle> <stage> <soak|window> <justification…>"
	waiveSummary     = "emergency approvers: waive an emergency change's soak or change window for a stage; the justification is recorded in the audit log, the change record and the report"
)

// Emergencies is the engine's emergency side; the CLI calls the same method.
type Emergencies interface {
	EmergencyCommand(ctx context.Context, args []string, requester string) (string, error)
}

var _ Emergencies = (*runbooks.Engine)(nil)

// emergency runs /patch emergency for user.
func (h *Handler) emergency(ctx context.Context, cmd Command, user string) string {
	em, ok := h.engine.(Emergencies)
	if !ok {
		return "Emergency changes are not available on this patchgate."
	}
	args := strings.Fields(cmd.Args)
	for i, a := range args {
		args[i] = unwrap(a)
	}
	if len(args) > 0 {
		if msg, ok := h.knownTenant(strings.ToLower(args[0]), usageOf(CmdEmergency)); !ok {
			return msg
		}
	}
	text, err := em.EmergencyCommand(ctx, args, user)
	if err != nil {
		return h.refusal(err, "request an emergency change", "user", user)
	}
	return text
}

// parseWaive reads /patch waive's words into a Waive decision.
func parseWaive(usage string, args []string) (Command, error) {
	if len(args) < 4 {
		return Command{}, cmdErr(usage, "waive needs a cycle, a stage, soak or window, and a justification.")
	}
	id, err := parseCycle(usage, args[0])
	if err != nil {
		return Command{}, err
	}
	what := strings.ToLower(args[2])
	if what != runbooks.WaiveSoak && what != runbooks.WaiveWindow {
		return Command{}, cmdErr(usage, "%s is not soak or window.", quote(args[2]))
	}
	reason := strings.Join(args[3:], " ")
	if len(reason) > maxReason {
		return Command{}, cmdErr(usage, "The justification is %d characters; keep it under %d.", len(reason), maxReason)
	}
	return Command{Name: CmdWaive, Cycle: id, Env: unwrap(args[1]), Args: what, Reason: reason}, nil
}

// waive records a waiver through Decide, as a button would.
func (h *Handler) waive(ctx context.Context, cmd Command, user, trigger string) string {
	d := runbooks.Decision{Cycle: cmd.Cycle, Stage: cmd.Env, Action: runbooks.Waive, Waive: cmd.Args, Reason: cmd.Reason, Actor: user}
	if trigger != "" {
		d.InteractionID = "command:" + trigger
	}
	out, err := h.engine.Decide(ctx, d)
	if err != nil {
		return h.refusal(err, "waive by command", "user", user, "cycle", cmd.Cycle)
	}
	return outcomeText(out)
}
