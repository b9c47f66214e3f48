package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/runbooks"
)

// The prevention commands call the same engine functions as /patch
// prevention and the rollout message's buttons.
func newPreventionCmd() *cobra.Command {
	cmd, withEngine := engineCommand("prevention", "Roll tiers from Falcon detection to prevention (and back), show and decide rollouts")
	request := func(use, short, mode string) *cobra.Command {
		var req runbooks.PreventionRequest
		c := &cobra.Command{Use: use + " TENANT TIER", Short: short, Args: cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				req.Tenant, req.Tier, req.Mode = args[0], args[1], mode
				return withEngine(cmd.Context(), false, func(e *runbooks.Engine) error {
					p, err := e.RequestPrevention(cmd.Context(), req)
					if err != nil {
						return userErr(err)
					}
					fmt.Fprintln(cmd.OutOrStdout(), p.RequestedText())
					return nil
				})
			}}
		c.Flags().StringVar(&req.Requester, "as", "", "the requester's Slack user ID")
		c.Flags().StringVar(&req.Reason, "reason", "", "why")
		_ = c.MarkFlagRequired("as")
		return c
	}
	start := request("start", "Request moving a tier's host group to the prevention policy (after the previous tier's window passed)", runbooks.ModePrevention)
	rollback := request("rollback", "Request moving a tier's host group back to the detection policy", runbooks.ModeDetection)

	show := &cobra.Command{Use: "show [ROLLOUT]", Short: "List rollouts, or show one with its audit events", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withEngine(cmd.Context(), true, func(e *runbooks.Engine) error {
				if len(args) == 0 {
					return listPreventions(cmd.Context(), cmd.OutOrStdout(), e)
				}
				p, err := e.GetPrevention(cmd.Context(), args[0])
				if err != nil {
					return userErr(err)
				}
				events, err := e.PreventionEvents(cmd.Context(), p.ID)
				if err != nil {
					return err
				}
				printPrevention(cmd.OutOrStdout(), p, events)
				return nil
			})
		}}

	decide, _ := decideCmd("decide ROLLOUT", "Approve, reject or retry a rollout", "approve | reject | retry", "reason, for reject", "rollout",
		func(ctx context.Context, fn func(*runbooks.Engine) error) error { return withEngine(ctx, false, fn) }, nil)

	cmd.AddCommand(start, rollback, show, decide)
	return cmd
}

func listPreventions(ctx context.Context, w io.Writer, e *runbooks.Engine) error {
	open, err := e.Preventions(ctx, false)
	if err != nil {
		return err
	}
	done, err := e.Preventions(ctx, true)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLLOUT\tTENANT\tTIER\tMODE\tSTATUS\tWINDOW ENDS\tREV")
	for _, p := range append(open, done...) {
		ends := "-"
		if !p.WindowEnds.IsZero() {
			ends = p.WindowEnds.UTC().Format(time.DateTime + "Z")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", p.ID, p.Tenant, p.Tier, p.Mode, p.Status, ends, p.Revision)
	}
	return tw.Flush()
}

func printPrevention(w io.Writer, p *runbooks.Prevention, events []runbooks.Event) {
	fmt.Fprintf(w, "%s  %s/%s  %s  %s (revision %d)\n", p.ID, p.Tenant, p.Tier, p.Mode, p.Status, p.Revision)
	fmt.Fprintf(w, "host group %s  prevention policy %s  detection policy %s  window %s\n", p.Plan.HostGroup, p.Plan.PreventionPolicy, p.Plan.DetectionPolicy, p.Plan.Window)
	fmt.Fprintf(w, "approvals %d/%d", len(p.Approvals), p.MinApprovals)
	if p.FourEyes {
		fmt.Fprint(w, " (four eyes)")
	}
	fmt.Fprintln(w)
	if len(p.Missing) > 0 {
		fmt.Fprintf(w, "missing exclusions: %v\n", p.Missing)
	}
	if p.Latest != nil {
		fmt.Fprintf(w, "detections so far: %s on %d host(s) (source %s, read %s)\n", p.Latest.Counts, p.Latest.Hosts, p.Latest.Source, p.Latest.At.UTC().Format(time.DateTime+"Z"))
	}
	if p.Gate != nil {
		fmt.Fprintf(w, "gate passed=%v: %s\n", p.Gate.Passed, p.Gate.Reason)
	}
	for _, ev := range events {
		fmt.Fprintf(w, "  %3d %s %-32s %-10s %s\n", ev.Seq, ev.At.UTC().Format(time.DateTime+"Z"), ev.Type, ev.Actor, ev.Detail)
	}
}
