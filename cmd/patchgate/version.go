package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/internal/buildinfo"
)

// Set at build time by scripts/build.sh: -ldflags "-X main.version=… -X
// main.commit=… -X main.date=…". Left at these defaults, `version` takes
// what it can from the Go build info (see internal/buildinfo).
var (
	version = buildinfo.NoVersion
	commit  = buildinfo.NoCommit
	date    = buildinfo.NoDate
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print version, commit and build date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := buildinfo.Current(version, commit, date)
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "patchgate %s (commit %s, built %s, %s)\n", in.Version, in.Commit, in.Date, runtime.Version())
			return err
		},
	}
}
