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

// The cycle commands act on the store directly. With the embedded bbolt
// store the file is locked by a running `serve`, so they are for Redis
// deployments or for a stopped bot.

func newCycleCmd() *cobra.Command {
	cmd, withEngine := engineCommand("cycle", "List, start and decide patch cycles")

	list := &cobra.Command{Use: "list", Short: "List active and finished cycles", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withEngine(cmd.Context(), true, func(e *runbooks.Engine) error {
				active, err := e.Active(cmd.Context())
				if err != nil {
					return err
				}
				finished, err := e.Finished(cmd.Context())
				if err != nil {
					return err
				}
				printCycles(cmd.OutOrStdout(), append(active, finished...))
				return nil
			})
		}}

	show := &cobra.Command{Use: "show CYCLE", Short: "Show a cycle's stages and audit events", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withEngine(cmd.Context(), true, func(e *runbooks.Engine) error {
				c, err := e.Get(cmd.Context(), args[0])
				if err != nil {
					return userErr(err)
				}
				events, err := e.Events(cmd.Context(), c.ID)
				if err != nil {
					return err
				}
				printCycle(cmd.OutOrStdout(), c, events)
				return nil
			})
		}}

	var as string
	start := &cobra.Command{Use: "start TENANT", Short: "Start a patch cycle for a tenant", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withEngine(cmd.Context(), false, func(e *runbooks.Engine) error {
				c, err := e.Start(cmd.Context(), args[0], as)
				if err != nil {
					return userErr(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "started %s (revision %d)\n", c.ID, c.Revision)
				return nil
			})
		}}
	start.Flags().StringVar(&as, "as", "", "the requester's Slack user ID")
	_ = start.MarkFlagRequired("as")

	var emAs, emHosts string
	emergency := &cobra.Command{Use: "emergency TENANT REASON…", Short: "Request an emergency change (the same function as /patch emergency)",
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if emHosts != "" {
				args = append(args, "--hosts", emHosts)
			}
			return withEngine(cmd.Context(), false, func(e *runbooks.Engine) error {
				out, err := e.EmergencyCommand(cmd.Context(), args, emAs)
				if err != nil {
					return userErr(err)
				}
				fmt.Fprintln(cmd.OutOrStdout(), out)
				return nil
			})
		}}
	emergency.Flags().StringVar(&emAs, "as", "", "the requester's Slack user ID")
	emergency.Flags().StringVar(&emHosts, "hosts", "", "comma-separated host names or IDs (default: every host of the tenant)")
	_ = emergency.MarkFlagRequired("as")

	decide, d := decideCmd("decide CYCLE", "Approve, reject, halt, resume, retry or proceed-with-exclusions",
		"approve | reject | halt | resume | retry | proceed-with-exclusions | waive", "reason, for reject and halt; the justification, for waive", "cycle",
		func(ctx context.Context, fn func(*runbooks.Engine) error) error { return withEngine(ctx, false, fn) }, nil)
	decide.Flags().StringVar(&d.Waive, "waive", "", "for waive (emergency changes): soak or window; --reason is the justification")
	decide.Flags().StringVar(&d.Stage, "stage", "", "stage name (preflight, an environment, report)")

	cmd.AddCommand(list, show, start, emergency, decide)
	return cmd
}

// userErr shows a coded refusal's message as-is.
func userErr(err error) error {
	if code := runbooks.ErrorCode(err); code != runbooks.CodeInternal {
		return fmt.Errorf("%s (%s)", runbooks.ErrorMessage(err), code)
	}
	return err
}

func printCycles(w io.Writer, cs []*runbooks.Cycle) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CYCLE\tTENANT\tSTATUS\tSTAGE\tREV")
	for _, c := range cs {
		stage := "-"
		if i := c.Current(); i >= 0 {
			stage = c.Stages[i].Name + " (" + string(c.Stages[i].Phase) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", c.ID, c.Tenant, c.Status, stage, c.Revision)
	}
	tw.Flush()
}

func printCycle(w io.Writer, c *runbooks.Cycle, events []runbooks.Event) {
	fmt.Fprintf(w, "%s  tenant %s  requested by %s  %s  revision %d\n", c.ID, c.Tenant, c.Requester, c.Status, c.Revision)
	if c.Halt != nil {
		fmt.Fprintf(w, "halted by %s: %s\n", c.Halt.By, c.Halt.Reason)
	}
	fmt.Fprintf(w, "scope: %d hosts, %d unmanaged, %d excluded\n", c.Scope.Hosts, c.Scope.Unmanaged, c.Scope.Excluded)
	if r := c.Change; r != nil {
		fmt.Fprintf(w, "change: %s %s", r.Label(), r.Kind)
		if r.URL != "" {
			fmt.Fprintf(w, "  %s", r.URL)
		}
		fmt.Fprintln(w)
		if tr := c.ChangeTrouble(); tr != "" {
			fmt.Fprintln(w, "      "+tr)
		}
	}
	for _, s := range c.Stages {
		var approvers []string
		for _, a := range s.Approvals {
			approvers = append(approvers, a.By)
		}
		line := fmt.Sprintf("  %-11s %-18s", s.Name, s.Phase)
		if len(approvers) > 0 {
			line += " approved by " + strings.Join(approvers, ", ")
		}
		if s.Failure != nil {
			line += " FAILED: " + s.Failure.Reason
		}
		fmt.Fprintln(w, line)
		if s.Phase == runbooks.PhaseSoak && !s.SoakUntil.IsZero() {
			fmt.Fprintf(w, "      soaking until %s (%s left)\n", s.SoakUntil.UTC().Format(time.RFC3339), runbooks.ForPeople(time.Until(s.SoakUntil).Round(time.Minute)))
		}
		for _, l := range s.Trouble() {
			fmt.Fprintln(w, "      "+l)
		}
	}
	fmt.Fprintln(w, "events:")
	for _, ev := range events {
		fmt.Fprintf(w, "  %4d %s %-10s %-20s %-12s %s\n", ev.Seq, ev.At.Format(time.RFC3339), ev.Stage, ev.Type, ev.Actor, ev.Detail)
	}
}
