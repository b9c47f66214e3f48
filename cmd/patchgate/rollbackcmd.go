package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/runbooks"
)

// The rollback commands act on the store directly, as the cycle commands
// do; request and decide call the same engine functions as /patch rollback
// and the rollback message's buttons.
func newRollbackCmd() *cobra.Command {
	var cfgPath string
	cmd := &cobra.Command{Use: "rollback", Short: "Request, list and decide rollbacks to a cycle's pre-patch backups"}
	cmd.PersistentFlags().StringVarP(&cfgPath, "config", "c", "", "configuration file")
	_ = cmd.MarkPersistentFlagRequired("config")
	withEngine := func(ctx context.Context, readOnly bool, fn func(*runbooks.Engine) error) error {
		return withApp(ctx, cfgPath, wiring{readOnly: readOnly}, func(a *app) error { return fn(a.engine) })
	}

	var req runbooks.RollbackRequest
	request := &cobra.Command{Use: "request CYCLE ENV [HOST...]", Short: "Request a rollback of an environment's hosts (all with a backup when none is named)",
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Cycle, req.Env, req.Hosts = args[0], args[1], args[2:]
			return withEngine(cmd.Context(), false, func(e *runbooks.Engine) error {
				rb, err := e.RequestRollback(cmd.Context(), req)
				if err != nil {
					return userErr(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "requested %s (revision %d), awaiting %d approval(s)\n", rb.ID, rb.Revision, rb.MinApprovals)
				printRollbackHosts(cmd.OutOrStdout(), rb)
				return nil
			})
		}}
	request.Flags().StringVar(&req.Requester, "as", "", "the requester's Slack user ID")
	request.Flags().StringVar(&req.Reason, "reason", "", "why the hosts are rolled back")
	_ = request.MarkFlagRequired("as")

	list := &cobra.Command{Use: "list", Short: "List open and finished rollbacks", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withEngine(cmd.Context(), true, func(e *runbooks.Engine) error {
				open, err := e.Rollbacks(cmd.Context(), false)
				if err != nil {
					return err
				}
				done, err := e.Rollbacks(cmd.Context(), true)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ROLLBACK\tCYCLE\tENV\tSTATUS\tHOSTS\tREV")
				for _, rb := range append(open, done...) {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\n", rb.ID, rb.Cycle, rb.Env, rb.Status, len(rb.Hosts), rb.Revision)
				}
				return tw.Flush()
			})
		}}

	show := &cobra.Command{Use: "show ROLLBACK", Short: "Show a rollback's hosts, backups, checks and audit events", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withEngine(cmd.Context(), true, func(e *runbooks.Engine) error {
				rb, err := e.GetRollback(cmd.Context(), args[0])
				if err != nil {
					return userErr(err)
				}
				events, err := e.RollbackEvents(cmd.Context(), rb.ID)
				if err != nil {
					return err
				}
				printRollback(cmd.OutOrStdout(), rb, events)
				return nil
			})
		}}

	decide, d := decideCmd("decide ROLLBACK", "Approve, reject, retry, or confirm a host's manual procedure",
		"approve | reject | retry | confirm-manual", "reason, for reject", "rollback",
		func(ctx context.Context, fn func(*runbooks.Engine) error) error { return withEngine(ctx, false, fn) }, nil)
	decide.Flags().StringVar(&d.Stage, "host", "", "the host whose manual procedure is done (confirm-manual)")

	var dryRun bool
	var olderThan time.Duration
	prune := &cobra.Command{Use: "prune", Short: "Delete pre-patch backups older than rollback.backup_retention that no open cycle or rollback needs (audited)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withApp(cmd.Context(), cfgPath, wiring{}, func(a *app) error {
				cat, err := backupCatalog(a)
				if err != nil {
					return userErr(err)
				}
				age := a.cfg.Rollback.BackupRetention
				if olderThan > 0 {
					age = olderThan
				}
				res, err := a.engine.PruneBackups(cmd.Context(), cat, age, dryRun)
				if err != nil {
					return err
				}
				printRetention(cmd.OutOrStdout(), res, dryRun)
				return nil
			})
		}}
	prune.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be deleted; delete and audit nothing")
	prune.Flags().DurationVar(&olderThan, "older-than", 0, "override rollback.backup_retention (e.g. 336h)")

	cmd.AddCommand(request, list, show, decide, prune)
	return cmd
}

// printRollbackHosts lists which backup each host returns to.
func printRollbackHosts(w io.Writer, rb *runbooks.Rollback) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  HOST\tCLOUD\tBACKUP\tKIND\tTAKEN\tBY CYCLE\tRESTORE")
	for _, h := range rb.Hosts {
		state := "-"
		switch op := h.Restore; {
		case op.Done:
			state = "restored"
		case op.Failed != "":
			state = "failed at " + op.Step + ": " + op.Failed
		case len(op.Manual) > 0:
			state = "manual: " + strings.Join(op.Manual, " | ")
		case op.Step != "":
			state = op.Step
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.Host.Name, h.Host.Cloud, h.Backup.ID, h.Backup.Kind,
			h.Backup.TakenAt.UTC().Format(time.RFC3339), h.Backup.Cycle, state)
	}
	tw.Flush()
}

func printRollback(w io.Writer, rb *runbooks.Rollback, events []runbooks.Event) {
	fmt.Fprintf(w, "%s  cycle %s  env %s  requested by %s  %s  revision %d\n", rb.ID, rb.Cycle, rb.Env, rb.Requester, rb.Status, rb.Revision)
	var by []string
	for _, a := range rb.Approvals {
		by = append(by, a.By)
	}
	fmt.Fprintf(w, "approvals: %d/%d %s\n", len(rb.Approvals), rb.MinApprovals, strings.Join(by, ", "))
	if rb.Failure != nil {
		fmt.Fprintf(w, "FAILED: %s\n", rb.Failure.Reason)
	}
	printRollbackHosts(w, rb)
	for _, g := range rb.Gates {
		verdict := "passed"
		if !g.Passed {
			verdict = "FAILED"
		}
		fmt.Fprintf(w, "  check %-8s %s: %s (source %s)\n", g.Name, verdict, g.Summary, strings.Join(g.Sources, ", "))
	}
	fmt.Fprintln(w, "events:")
	for _, ev := range events {
		fmt.Fprintf(w, "  %4d %s %-20s %-20s %-12s %s\n", ev.Seq, ev.At.Format(time.RFC3339), ev.Stage, ev.Type, ev.Actor, ev.Detail)
	}
}
