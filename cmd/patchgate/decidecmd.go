package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/runbooks"
)

// engineRunner runs fn on an engine built the way a command group needs.
type engineRunner func(ctx context.Context, fn func(*runbooks.Engine) error) error

// decideCmd is `… decide ID`: a person's decision through Engine.Decide, the
// same path as the buttons and slash commands, for every runbook kind. It
// returns the decision its flags fill, so a kind adds its own (--stage,
// --host); check refuses a decision before anything is built.
func decideCmd(use, short, actions, reasonHelp, noun string, run engineRunner, check func(runbooks.Decision) error) (*cobra.Command, *runbooks.Decision) {
	var d runbooks.Decision
	var action string
	c := &cobra.Command{Use: use, Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d.Cycle, d.Action = args[0], runbooks.DecisionAction(action)
			if check != nil {
				if err := check(d); err != nil {
					return userErr(err)
				}
			}
			return run(cmd.Context(), func(e *runbooks.Engine) error {
				out, err := e.Decide(cmd.Context(), d)
				if err != nil {
					return userErr(err)
				}
				fmt.Fprintln(cmd.OutOrStdout(), out.Message)
				return nil
			})
		}}
	c.Flags().StringVar(&action, "action", "", actions)
	c.Flags().StringVar(&d.Actor, "as", "", "the deciding person's Slack user ID")
	c.Flags().StringVar(&d.Reason, "reason", "", reasonHelp)
	c.Flags().Int64Var(&d.SeenRevision, "seen", 0, noun+" revision you decided on (refused if it moved on)")
	_ = c.MarkFlagRequired("action")
	_ = c.MarkFlagRequired("as")
	return c, &d
}
