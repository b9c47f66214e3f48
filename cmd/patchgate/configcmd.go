package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/config"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check configuration files"}
	cmd.AddCommand(&cobra.Command{
		Use:   "validate FILE",
		Short: "Report every problem in FILE with its line and field; exit 1 if there is any",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(args[0])
			var probs *config.Problems
			if errors.As(err, &probs) {
				fmt.Fprintln(cmd.OutOrStdout(), err)
				return &findingError{msg: "invalid configuration"}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: OK (%d tenants, %d environment tiers, store %s)\n",
				args[0], len(cfg.TenantList), len(cfg.Tiers), cfg.Store.Backend)
			return nil
		},
	})
	return cmd
}
