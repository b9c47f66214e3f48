package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// The freeze subcommands (runbooks/freeze.go).
const (
	CmdFreeze   Subcommand = "freeze"
	CmdUnfreeze Subcommand = "unfreeze"
)

const (
	freezeSummary   = "approvers: freeze changes for a tenant or all until a time (RFC 3339), a date (UTC) or a length (48h, 3d): no cycle starts, no stage opens or starts a backup or patch; running operations finish"
	unfreezeSummary = "approvers: lift a freeze set with /patch freeze (configured freezes end with the configuration)"
)

// Freezer is the engine's freeze side; the CLI calls the same methods.
type Freezer interface {
	FreezeCommand(ctx context.Context, args []string, actor string) (string, error)
	UnfreezeCommand(ctx context.Context, args []string, actor string) (string, error)
	FreezeLines(ctx context.Context) ([]string, error)
}

var _ Freezer = (*runbooks.Engine)(nil)

// freezeCommand runs /patch freeze or unfreeze for user.
func (h *Handler) freezeCommand(ctx context.Context, cmd Command, user string) string {
	f, ok := h.engine.(Freezer)
	if !ok {
		return "Freezes are not available on this patchgate."
	}
	args := strings.Fields(cmd.Args)
	for i, a := range args {
		args[i] = unwrap(a)
	}
	run := f.FreezeCommand
	if cmd.Name == CmdUnfreeze {
		run = f.UnfreezeCommand
	}
	text, err := run(ctx, args, user)
	if err != nil {
		return h.refusal(err, "run /patch "+string(cmd.Name), "user", user)
	}
	return text
}

// freezeStatus lists the freezes for /patch status, or "" when none.
func (h *Handler) freezeStatus(ctx context.Context) string {
	f, ok := h.engine.(Freezer)
	if !ok {
		return ""
	}
	lines, err := f.FreezeLines(ctx)
	if err != nil {
		h.log.Warn("list freezes", "err", err)
		return "⚠️ Could not read the freezes: " + esc(runbooks.ErrorMessage(err)) + "\n"
	}
	if len(lines) == 0 {
		return ""
	}
	for i, l := range lines {
		lines[i] = "🧊 " + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// frozenNote is what a cycle held by a freeze says in its line and message.
func frozenNote(c *runbooks.Cycle) string {
	if c.Frozen == nil || c.Status.Terminal() {
		return ""
	}
	f := c.Frozen
	scope := "all tenants"
	if f.Tenant != runbooks.FreezeAll {
		scope = f.Tenant
	}
	s := fmt.Sprintf("🧊 Held by a freeze: %s frozen until %s: %s", esc(scope), utc(f.Until), esc(f.Reason))
	if f.By != "" {
		s += " (set by " + mention(f.By) + ")"
	}
	return s
}
