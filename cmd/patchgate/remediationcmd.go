package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/runbooks"
)

// The remediation commands act on the store directly, as the rollback
// commands do; list and decide call the same engine functions as /patch
// remediations, /patch dismiss and the card's buttons.
func newRemediationCmd() *cobra.Command {
	cmd, withEngine := engineCommand("remediation", "List, show and decide remediations of AWS Config non-compliance")

	var all bool
	list := &cobra.Command{Use: "list [TENANT]", Short: "List open remediations (with --all, finished ones too)", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withEngine(cmd.Context(), true, func(e *runbooks.Engine) error {
				rs, err := e.Remediations(cmd.Context(), false)
				if err != nil {
					return err
				}
				if all {
					done, err := e.Remediations(cmd.Context(), true)
					if err != nil {
						return err
					}
					rs = append(rs, done...)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "REMEDIATION\tTENANT\tENV\tSTATUS\tINSTANCES\tNON-COMPLIANT SINCE\tREV")
				for _, r := range rs {
					if len(args) == 1 && r.Tenant != args[0] {
						continue
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%d\n", r.ID, r.Tenant, r.Env, r.Status, r.InstanceCount(), r.Since().UTC().Format(time.RFC3339), r.Revision)
				}
				return tw.Flush()
			})
		}}
	list.Flags().BoolVar(&all, "all", false, "include finished remediations")

	show := &cobra.Command{Use: "show REMEDIATION", Short: "Show a remediation's policy, instances, gates and audit events", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withEngine(cmd.Context(), true, func(e *runbooks.Engine) error {
				r, err := e.GetRemediation(cmd.Context(), args[0])
				if err != nil {
					return userErr(err)
				}
				events, err := e.RemediationEvents(cmd.Context(), r.ID)
				if err != nil {
					return err
				}
				printRemediation(cmd.OutOrStdout(), r, events, time.Now())
				return nil
			})
		}}

	decide, _ := decideCmd("decide REMEDIATION", "Approve, dismiss (with --reason) or retry a remediation", "approve | dismiss | retry", "reason, required for dismiss", "remediation",
		func(ctx context.Context, fn func(*runbooks.Engine) error) error { return withEngine(ctx, false, fn) }, func(d runbooks.Decision) error {
			if !runbooks.IsRemediationID(d.Cycle) {
				return runbooks.Errorf(runbooks.CodeInvalid, "%q is not a remediation ID (RM-…)", d.Cycle)
			}
			if d.Action == runbooks.Dismiss && strings.TrimSpace(d.Reason) == "" {
				return runbooks.Errorf(runbooks.CodeInvalid, "dismiss needs --reason (it is audited)")
			}
			return nil
		})

	cmd.AddCommand(list, show, decide)
	return cmd
}

func printRemediation(w io.Writer, r *runbooks.Remediation, events []runbooks.Event, now time.Time) {
	fmt.Fprintln(w, bot.RemediationLine(r, now))
	fmt.Fprintf(w, "policy: %d approval(s), four eyes %t, production %t, auto_remediate %t\n", r.MinApprovals, r.FourEyes, r.Production, r.AutoRemediate)
	var by []string
	for _, a := range r.Approvals {
		by = append(by, a.By)
	}
	fmt.Fprintf(w, "approvals: %d/%d %s\n", len(r.Approvals), r.MinApprovals, strings.Join(by, ", "))
	if r.Dismissal != "" {
		fmt.Fprintf(w, "dismissed: %s\n", r.Dismissal)
	}
	if r.Failure != nil {
		fmt.Fprintf(w, "FAILED: %s\n", r.Failure.Reason)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  INSTANCE\tACCOUNT\tREGION\tCOMPLIANCE\tSINCE\tRULES")
	for _, in := range r.Instances {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", in.Host.ID, in.Host.Account, in.Host.Region, in.Compliance,
			in.Since.UTC().Format(time.RFC3339), strings.Join(in.Rules, ", "))
	}
	tw.Flush()
	for _, g := range r.Gates {
		verdict := "passed"
		if !g.Passed {
			verdict = "FAILED"
		}
		fmt.Fprintf(w, "  check %-8s %s: %s (source %s)\n", g.Name, verdict, g.Summary, strings.Join(g.Sources, ", "))
	}
	fmt.Fprintln(w, "events:")
	for _, ev := range events {
		fmt.Fprintf(w, "  %4d %s %-20s %-28s %-12s %s\n", ev.Seq, ev.At.Format(time.RFC3339), ev.Stage, ev.Type, ev.Actor, ev.Detail)
	}
}
