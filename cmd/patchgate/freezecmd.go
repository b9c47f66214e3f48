package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/runbooks"
)

// newFreezeCmds are `patchgate freeze`, `unfreeze` and `freezes`: the same
// engine functions as /patch freeze, /patch unfreeze and the freeze lines of
// /patch status.
func newFreezeCmds() []*cobra.Command {
	var cfgPath, as string
	withEngine := func(ctx context.Context, readOnly bool, fn func(*runbooks.Engine) (string, error)) (out string, err error) {
		err = withApp(ctx, cfgPath, wiring{readOnly: readOnly}, func(a *app) error {
			out, err = fn(a.engine)
			return err
		})
		return out, err
	}
	reply := func(cmd *cobra.Command, out string, err error) error {
		if err != nil {
			return userErr(err)
		}
		fmt.Fprintln(cmd.OutOrStdout(), out)
		return nil
	}
	freeze := &cobra.Command{Use: "freeze TENANT|all UNTIL REASON…", Short: "Freeze changes (approvers; the same function as /patch freeze)",
		Args: cobra.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := withEngine(cmd.Context(), false, func(e *runbooks.Engine) (string, error) { return e.FreezeCommand(cmd.Context(), args, as) })
			return reply(cmd, out, err)
		}}
	unfreeze := &cobra.Command{Use: "unfreeze TENANT|all [REASON…]", Short: "Lift a freeze set by command (approvers; the same function as /patch unfreeze)",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := withEngine(cmd.Context(), false, func(e *runbooks.Engine) (string, error) { return e.UnfreezeCommand(cmd.Context(), args, as) })
			return reply(cmd, out, err)
		}}
	list := &cobra.Command{Use: "freezes", Short: "List the freezes in force or to come (configured and set by command)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := withEngine(cmd.Context(), true, func(e *runbooks.Engine) (string, error) {
				lines, err := e.FreezeLines(cmd.Context())
				if len(lines) == 0 {
					return "No freezes.", err
				}
				return strings.Join(lines, "\n"), err
			})
			return reply(cmd, out, err)
		}}
	for _, c := range []*cobra.Command{freeze, unfreeze, list} {
		c.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file")
		_ = c.MarkFlagRequired("config")
	}
	for _, c := range []*cobra.Command{freeze, unfreeze} {
		c.Flags().StringVar(&as, "as", "", "the approver's Slack user ID")
		_ = c.MarkFlagRequired("as")
	}
	return []*cobra.Command{freeze, unfreeze, list}
}
