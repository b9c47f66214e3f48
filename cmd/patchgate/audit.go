package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/state"
)

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Work with the hash-chained audit log"}
	var cfgPath string
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Re-walk every audit chain; exit 1 on the first break",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, _, err := openStoreFromFile(cmd.Context(), cfgPath)
			if err != nil {
				return err
			}
			defer st.Close()
			return verifyAudit(cmd.Context(), st, cmd.OutOrStdout())
		},
	}
	verify.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file (its store section is used)")
	_ = verify.MarkFlagRequired("config")
	cmd.AddCommand(verify, newAuditExportCmd())
	return cmd
}

// verifyAudit walks every stream under audit/ and prints what it checked.
// It stops at the first broken chain, as an auditor would want it named.
func verifyAudit(ctx context.Context, st state.Store, out io.Writer) error {
	streams, err := st.Streams(ctx, "audit/")
	if err != nil {
		return fmt.Errorf("list audit streams: %w", err)
	}
	var total int64
	for _, s := range streams {
		v, err := st.Verify(ctx, s)
		if err != nil {
			return fmt.Errorf("verify %s: %w", s, err)
		}
		total += v.Checked
		if !v.OK() {
			fmt.Fprintf(out, "BROKEN %s at entry %d: %s (%d entries checked before it)\n", s, v.BrokenAt, v.Problem, v.Checked)
			fmt.Fprintf(out, "audit: %d entries checked in %d streams before the break\n", total, len(streams))
			return &findingError{msg: "audit chain broken"}
		}
	}
	fmt.Fprintf(out, "audit OK: %d entries checked in %d streams, no break\n", total, len(streams))
	return nil
}
