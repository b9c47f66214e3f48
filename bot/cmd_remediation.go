package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// The remediation subcommands.
const (
	CmdRemediations Subcommand = "remediations"
	CmdDismiss      Subcommand = "dismiss"
)

const (
	remediationsSummary = "list open remediations (AWS Config non-compliance cards), all or one tenant's"
	dismissSummary      = "dismiss a remediation without patching; the reason is audited (the card's Dismiss… button asks for it in a form)"
)

// Remediations is the part of the engine /patch remediations reads; the
// CLI's `patchgate remediation list` calls the same.
type Remediations interface {
	Remediations(ctx context.Context, finished bool) ([]*runbooks.Remediation, error)
}

var _ Remediations = (*runbooks.Engine)(nil)

// parseDismiss reads `dismiss <RM-id> <reason…>`.
func parseDismiss(usage string, args []string) (Command, error) {
	if len(args) < 2 {
		return Command{}, cmdErr(usage, "dismiss needs a remediation ID (on its card) and a reason.")
	}
	id, err := parseCycle(usage, args[0])
	if err != nil || !runbooks.IsRemediationID(id) {
		return Command{}, cmdErr(usage, "%s is not a remediation ID (like RM-acme-cu-20261122-0200-1a2b3c).", quote(args[0]))
	}
	reason := strings.Join(args[1:], " ")
	if len(reason) > maxReason {
		return Command{}, cmdErr(usage, "The reason is %d characters; keep it under %d.", len(reason), maxReason)
	}
	return Command{Name: CmdDismiss, Cycle: id, Reason: reason}, nil
}

// remediations lists open remediations for /patch remediations.
func (h *Handler) remediations(ctx context.Context, tenant string) string {
	if tenant != "" {
		if msg, ok := h.knownTenant(tenant, usageOf(CmdRemediations)); !ok {
			return msg
		}
	}
	rs, ok := h.engine.(Remediations)
	if !ok {
		return "Remediation is not available in this deployment."
	}
	list, err := rs.Remediations(ctx, false)
	if err != nil {
		return h.refusal(err, "list remediations")
	}
	return RemediationsText(list, tenant, time.Now())
}

// RemediationsText lists remediations, all or one tenant's, one line each.
func RemediationsText(list []*runbooks.Remediation, tenant string, now time.Time) string {
	var lines []string
	for _, r := range list {
		if tenant == "" || r.Tenant == tenant {
			lines = append(lines, "• "+RemediationLine(r, now))
		}
	}
	if len(lines) == 0 {
		if tenant != "" {
			return tenant + " has no open remediation."
		}
		return "No open remediations."
	}
	head := fmt.Sprintf("Open remediations (%d):", len(lines))
	if tenant != "" {
		head = fmt.Sprintf("Open remediations of %s (%d):", tenant, len(lines))
	}
	return head + "\n" + strings.Join(lines, "\n")
}

// RemediationLine is one remediation: where it stands, its instances and
// how long the oldest has been non-compliant.
func RemediationLine(r *runbooks.Remediation, now time.Time) string {
	s := fmt.Sprintf("`%s` (%s/%s) — %s", r.ID, r.Tenant, r.Env, strings.ReplaceAll(string(r.Status), "_", " "))
	if r.Status == runbooks.RemAwaitingApproval {
		s += fmt.Sprintf(" (%d/%d)", len(r.Approvals), r.MinApprovals)
	}
	s += fmt.Sprintf("; %d instance(s): %s", r.InstanceCount(), strings.Join(instanceIDs(r), ", "))
	if since := r.Since(); !since.IsZero() {
		s += "; non-compliant for " + ago(now, since)
	}
	if r.LastError != "" {
		s += "; " + r.LastError
	}
	return s
}

func instanceIDs(r *runbooks.Remediation) []string {
	shown := r.Head(10)
	out := make([]string, 0, len(shown)+1)
	for _, in := range shown {
		out = append(out, in.Host.ID)
	}
	if more := r.InstanceCount() - len(shown); more > 0 {
		out = append(out, fmt.Sprintf("… +%d", more))
	}
	return out
}
