package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/config"
)

// newPreflightCmd is `patchgate preflight TENANT`: the same dry run as
// /patch preflight (runbooks.Engine.Preflight); it opens no cycle.
func newPreflightCmd() *cobra.Command {
	var cfgPath, as string
	cmd := &cobra.Command{Use: "preflight TENANT", Short: "Dry run of a tenant's next cycle: inventory and every gate judgeable without change; opens no cycle",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(cfgPath)
			if err != nil {
				return err
			}
			// Not read-only: the run appends its audit event.
			a, err := build(cmd.Context(), cfg, wiring{})
			if err != nil {
				return err
			}
			defer a.store.Close()
			r, err := a.engine.Preflight(cmd.Context(), args[0], as)
			if err != nil {
				return userErr(err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), r.Text())
			return nil
		}}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file")
	cmd.Flags().StringVar(&as, "as", "", "the Slack user ID of the person asking (recorded in the audit event)")
	_ = cmd.MarkFlagRequired("config")
	_ = cmd.MarkFlagRequired("as")
	return cmd
}
