package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/slack-go/slack"
)

// runCommand carries out one /patch line for the person who typed it and
// returns the text of their ephemeral reply.
func (h *Handler) runCommand(ctx context.Context, sc slack.SlashCommand) string {
	cmd, err := ParseCommand(sc.Text)
	if err != nil {
		return err.Error()
	}
	log := []any{"user", sc.UserID, "subcommand", string(cmd.Name)}
	switch cmd.Name {
	case CmdHelp:
		if cmd.Topic != "" {
			s, _ := specOf(Subcommand(cmd.Topic))
			return fmt.Sprintf("`%s` — %s", usageOf(s.name), s.summary)
		}
		return HelpText()
	case CmdStatus:
		return h.status(ctx, cmd.Tenant)
	case CmdPreflight:
		return h.preflight(ctx, cmd.Tenant, sc.UserID)
	case CmdStart:
		if msg, ok := h.knownTenant(cmd.Tenant, usageOf(cmd.Name)); !ok {
			return msg
		}
		c, err := h.engine.Start(ctx, cmd.Tenant, sc.UserID)
		if err != nil {
			return h.refusal(err, "start a cycle", append(log, "tenant", cmd.Tenant)...)
		}
		return fmt.Sprintf("Started cycle `%s` for %s. Preflight inventory runs now; then %s waits for approval on the cycle's message. Nothing is patched before that.",
			c.ID, cmd.Tenant, firstEnv(c))
	case CmdHalt, CmdResume, CmdDismiss:
		action := runbooks.HaltCycle
		switch cmd.Name {
		case CmdResume:
			action = runbooks.Resume
		case CmdDismiss:
			action = runbooks.Dismiss
		}
		d := runbooks.Decision{Cycle: cmd.Cycle, Action: action, Actor: sc.UserID, Reason: cmd.Reason}
		if sc.TriggerID != "" {
			d.InteractionID = "command:" + sc.TriggerID
		}
		return h.decideByCommand(ctx, d, append(log, "cycle", cmd.Cycle)...)
	case CmdReport:
		return h.report(ctx, cmd.Cycle, log)
	case CmdSAML, CmdDrift, CmdDigest:
		return h.dailyCommand(ctx, cmd.Name, sc.UserID)
	case CmdPosture, CmdExcept:
		return h.slaCommand(ctx, cmd, sc.UserID)
	case CmdSensors:
		return h.sensorsCommand(ctx, cmd, sc.UserID)
	case CmdRollback:
		return h.rollback(ctx, cmd, sc.UserID, "requested with /patch rollback", log)
	case CmdPrevention:
		return h.prevention(ctx, cmd, sc.UserID, log)
	case CmdRemediations:
		return h.remediations(ctx, cmd.Tenant)
	case CmdFreeze, CmdUnfreeze:
		return h.freezeCommand(ctx, cmd, sc.UserID)
	case CmdEmergency:
		return h.emergency(ctx, cmd, sc.UserID)
	case CmdWaive:
		return h.waive(ctx, cmd, sc.UserID, sc.TriggerID)
	}
	return HelpText()
}

// knownTenant checks a tenant name against the configuration, so a typo is
// answered with the names that would have worked.
func (h *Handler) knownTenant(name, usage string) (string, bool) {
	var names []string
	for _, t := range h.engine.Tenants() {
		if t.Name == name {
			return "", true
		}
		names = append(names, t.Name)
	}
	known := "none are configured"
	if len(names) > 0 {
		known = "known tenants: " + strings.Join(names, ", ")
	}
	return (&CommandError{Problem: fmt.Sprintf("Unknown tenant %s; %s.", quote(name), known), Usage: usage}).Error(), false
}

// status lists active cycles, all or one tenant's.
func (h *Handler) status(ctx context.Context, tenant string) string {
	if tenant != "" {
		if msg, ok := h.knownTenant(tenant, usageOf(CmdStatus)); !ok {
			return msg
		}
	}
	cycles, err := h.engine.Active(ctx)
	if err != nil {
		return h.refusal(err, "list active cycles")
	}
	var lines []string
	for _, c := range cycles {
		if tenant == "" || c.Tenant == tenant {
			lines = append(lines, "• "+cycleLine(c))
		}
	}
	freezes := h.freezeStatus(ctx)
	switch {
	case len(lines) == 0 && tenant != "":
		return freezes + fmt.Sprintf("%s has no active cycle. Start one with `/patch start %s`.", tenant, tenant)
	case len(lines) == 0:
		return freezes + "No active cycles."
	}
	head := fmt.Sprintf("Active cycles (%d):", len(lines))
	if tenant != "" {
		head = fmt.Sprintf("Active cycles of %s (%d):", tenant, len(lines))
	}
	return freezes + head + "\n" + strings.Join(lines, "\n")
}

// cycleLine is one cycle in a status reply.
func cycleLine(c *runbooks.Cycle) string {
	s := fmt.Sprintf("`%s` (%s) — %s", c.ID, c.Tenant, c.Status)
	if i := c.Current(); i >= 0 {
		st := c.Stages[i]
		s += fmt.Sprintf(", %s: %s", st.Name, strings.ReplaceAll(string(st.Phase), "_", " "))
		if st.Phase == runbooks.PhaseApproval {
			s += fmt.Sprintf(" (%d/%d)", len(st.Approvals), st.MinApprovals)
		}
		if st.Failure != nil {
			s += " — " + st.Failure.Reason
		}
		for _, l := range st.Trouble() {
			s += "; " + l
		}
	}
	if c.Change != nil {
		s += "; change " + c.Change.Label()
		if tr := c.ChangeTrouble(); tr != "" {
			s += "; " + tr
		}
	}
	if c.Halt != nil {
		s += fmt.Sprintf("; halted by %s: %s", mention(c.Halt.By), c.Halt.Reason)
	}
	if n := frozenNote(c); n != "" {
		s += "; " + n
	}
	return s
}

// report says where a cycle's compliance report is.
func (h *Handler) report(ctx context.Context, id string, log []any) string {
	c, err := h.engine.Get(ctx, id)
	if err != nil {
		return h.refusal(err, "read a cycle", append(log, "cycle", id)...)
	}
	if c.Report == nil || c.Report.Location == "" {
		return fmt.Sprintf("Cycle `%s` has no report yet (it is %s); the report is made when the last environment is done.", c.ID, c.Status)
	}
	s := fmt.Sprintf("Report of cycle `%s`: %s", c.ID, c.Report.Location)
	if c.Report.SHA256 != "" {
		s += fmt.Sprintf(" (SHA-256 `%s`)", c.Report.SHA256)
	}
	if h.opts.Reports == nil {
		return s
	}
	// Anyone in the channel may ask: the thread is theirs to read anyway.
	if err := h.opts.Reports.RepostReport(ctx, c); errors.Is(err, ErrNoThread) {
		return s + ". It could not be re-posted: the cycle has no message in Slack yet."
	} else if err != nil {
		h.log.Error("re-post a report", append(log, "cycle", c.ID, "err", safeErr(err))...)
		return s + ". Re-posting it into the cycle's thread failed; it has been logged."
	}
	return s + ". Re-posted the PDF and the CSV files into the cycle's thread."
}

// outcomeText is the confirmation shown for a decision that went through.
// decideByCommand applies a halt, resume or dismiss that a person asked for
// by command or by the dismiss modal, and returns the reply.
func (h *Handler) decideByCommand(ctx context.Context, d runbooks.Decision, log ...any) string {
	out, err := h.engine.Decide(ctx, d)
	if err != nil {
		return h.refusal(err, "decide by command", log...)
	}
	return outcomeText(out)
}

func outcomeText(out runbooks.Outcome) string {
	if out.Duplicate {
		return "Already recorded; nothing changed."
	}
	if out.Message == "" {
		return "Done."
	}
	return out.Message
}

// firstEnv names the first environment stage a new cycle will wait at.
func firstEnv(c *runbooks.Cycle) string {
	for _, s := range c.Stages {
		if s.Kind == runbooks.KindEnvironment {
			return s.Name
		}
	}
	return "the first environment"
}

// mention renders a Slack user ID as a mention; the engine's own name is
// shown as it is.
func mention(id string) string {
	if id == "" || id == runbooks.ActorSystem || strings.ContainsAny(id, " <>") {
		return id
	}
	return "<@" + id + ">"
}

// errNotCommand: the request was signed but is not a slash command.
var errNotCommand = errors.New("not a slash command (no user_id or command)")
