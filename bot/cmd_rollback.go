package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// CmdRollback asks for a rollback to a cycle's pre-patch backups.
const CmdRollback Subcommand = "rollback"

// Rollbacks is the part of the engine /patch rollback and the "Roll back N
// hosts" button call; the CLI's `patchgate rollback request` calls the same.
type Rollbacks interface {
	RequestRollback(ctx context.Context, req runbooks.RollbackRequest) (*runbooks.Rollback, error)
}

var _ Rollbacks = (*runbooks.Engine)(nil)

// maxRollbackHosts bounds the hosts one command names.
const maxRollbackHosts = 50

// parseRollback reads `rollback <cycle> <env> [host…]`.
func parseRollback(usage string, args []string) (Command, error) {
	if len(args) < 2 {
		return Command{}, cmdErr(usage, "rollback needs a cycle ID and an environment (the hosts are optional: all with a backup).")
	}
	id, err := parseCycle(usage, args[0])
	if err != nil {
		return Command{}, err
	}
	env, err := parseTenant(usage, args[1]) // environment names follow tenant names' rules
	if err != nil {
		return Command{}, cmdErr(usage, "%s is not an environment name.", quote(args[1]))
	}
	if len(args)-2 > maxRollbackHosts {
		return Command{}, cmdErr(usage, "rollback names at most %d hosts (got %d); leave them out to roll back every host with a backup.", maxRollbackHosts, len(args)-2)
	}
	cmd := Command{Name: CmdRollback, Cycle: id, Env: env}
	hosts := make([]string, 0, len(args)-2)
	for _, h := range args[2:] {
		hosts = append(hosts, unwrap(h))
	}
	cmd.Hosts = strings.Join(hosts, " ")
	return cmd, nil
}

// rollback requests a rollback for the person who typed the command; the
// rollback's own message, with its Approve and Reject buttons, follows in
// the channel.
func (h *Handler) rollback(ctx context.Context, cmd Command, user, reason string, log []any) string {
	rs, ok := h.engine.(Rollbacks)
	if !ok {
		return "Rollback is not available in this deployment."
	}
	rb, err := rs.RequestRollback(ctx, runbooks.RollbackRequest{Cycle: cmd.Cycle, Env: cmd.Env, Hosts: strings.Fields(cmd.Hosts), Requester: user, Reason: reason})
	if err != nil {
		return h.refusal(err, "request a rollback", append(log, "cycle", cmd.Cycle, "env", cmd.Env)...)
	}
	return RollbackRequestedText(rb)
}

// RollbackRequestedText says what was requested: which backup each host
// returns to, and who must approve.
func RollbackRequestedText(rb *runbooks.Rollback) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Requested rollback `%s` of %d host(s) in %s to cycle `%s`'s pre-patch backups. It needs %d approval(s) from %s approvers",
		rb.ID, len(rb.Hosts), rb.Env, rb.Cycle, rb.MinApprovals, rb.Env)
	if rb.FourEyes {
		b.WriteString(" other than you (four eyes)")
	}
	b.WriteString("; nothing is restored before that.\n")
	for _, h := range rb.Hosts {
		fmt.Fprintf(&b, "• %s (%s) → %s `%s` taken %s by `%s`\n", h.Host.Name, h.Host.Cloud, h.Backup.Kind, h.Backup.ID,
			h.Backup.TakenAt.UTC().Format(time.DateTime+"Z"), h.Backup.Cycle)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
