package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

// Set at build time: -ldflags "-X main.version=… -X main.commit=… -X main.date=…".
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print version, commit and build date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "patchgate %s (commit %s, built %s, %s)\n", version, commit, date, runtime.Version())
			return err
		},
	}
}
