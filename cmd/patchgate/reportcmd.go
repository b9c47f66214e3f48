package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/daily"
	"github.com/patchgate/patchgate/runbooks/sla"
)

// The report commands read the store directly; with the embedded bbolt
// store they are for a stopped bot (a running `serve` holds the file).

func newReportCmd() *cobra.Command {
	var cfgPath, cycle, out string
	cmd := &cobra.Command{
		Use:   "report --cycle ID --out DIR",
		Short: "Regenerate a cycle's compliance report (PDF, evidence JSON, CSVs, manifest) from the store",
		Long: `report makes a cycle's compliance report again from what the store holds: the
cycle record, its audit log and preflight's inventory, with the inventory
and the access report read again now. The files go to DIR/<cycle>/. The
audit log keeps the hashes of the report the cycle made; a regenerated
report is a new document with its own "generated at" and hashes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cycle == "" || out == "" || cfgPath == "" {
				return errors.New("report needs --config FILE, --cycle ID and --out DIR (or the posture or verify subcommand)")
			}
			return regenerateReport(cmd.Context(), cfgPath, cycle, out, cmd.OutOrStdout())
		},
	}
	cmd.PersistentFlags().StringVarP(&cfgPath, "config", "c", "", "configuration file")
	cmd.Flags().StringVar(&cycle, "cycle", "", "the cycle's ID")
	cmd.Flags().StringVar(&out, "out", "", "directory to write the report into")

	var month, tenant, postureOut string
	posture := &cobra.Command{
		Use:   "posture [--month YYYY-MM [--tenant NAME] [--out DIR]]",
		Short: "Print the compliance posture across tenants; with --month, write each tenant's monthly posture PDF and print its outcome figures with their audit-log queries",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfgPath == "" {
				return errors.New("report posture needs --config FILE")
			}
			if month != "" {
				return monthlyPosture(cmd, cfgPath, month, tenant, postureOut)
			}
			st, _, err := openStoreFromFile(cmd.Context(), cfgPath)
			if err != nil {
				return err
			}
			defer st.Close()
			p, err := reports.PostureDigest(cmd.Context(), st, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), reports.PostureText(p))
			return nil
		},
	}
	posture.Flags().StringVar(&month, "month", "", "write the monthly posture PDF of this month, YYYY-MM")
	posture.Flags().StringVar(&tenant, "tenant", "", "only this tenant (with --month)")
	posture.Flags().StringVar(&postureOut, "out", ".", "directory to write the PDFs to (with --month)")
	cmd.AddCommand(posture, newReportVerifyCmd())
	return cmd
}

// regenerateReport gathers the cycle's report input as the engine's report
// stage does and writes the report under out.
func regenerateReport(ctx context.Context, cfgPath, cycle, out string, w io.Writer) error {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	a, err := build(ctx, cfg, wiring{reports: out, readOnly: true})
	if err != nil {
		return err
	}
	defer a.store.Close()
	in, err := a.engine.ReportInput(ctx, cycle)
	if err != nil {
		return userErr(err)
	}
	rep, err := (&reports.Dir{Path: out}).Report(ctx, in)
	if err != nil {
		return err
	}
	printReport(w, in.Cycle, rep)
	return nil
}

func printReport(w io.Writer, c *runbooks.Cycle, rep runbooks.Report) {
	fmt.Fprintf(w, "report of %s (%s)", c.ID, c.Tenant)
	if v := rep.Compliance; v != nil {
		fmt.Fprintf(w, ": compliance %s (%d/%d criteria)", daily.RateText(v.Rate), v.Passed, v.Applicable)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tBYTES\tSHA-256\tLOCATION")
	for _, f := range rep.Files {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", f.Name, f.Size, f.SHA256, f.Location)
	}
	tw.Flush()
	if old := c.Report; old != nil && old.SHA256 != "" {
		fmt.Fprintf(w, "the cycle's own report (recorded in its audit log): %s sha256 %s\n", old.Location, old.SHA256)
	}
}

// monthlyPosture is `patchgate report posture --month`: the same function
// as `patchgate sla report`, for one tenant or each.
func monthlyPosture(cmd *cobra.Command, cfgPath, month, tenant, outDir string) error {
	out, err := withSLA(cmd.Context(), cfgPath, true, func(s *sla.Service) (string, error) {
		var b strings.Builder
		for _, t := range s.Tenants {
			if tenant != "" && t.Name != tenant {
				continue
			}
			path, figures, err := writePostureReport(cmd.Context(), s, t.Name, month, outDir)
			if err != nil {
				return b.String(), err
			}
			fmt.Fprintf(&b, "%s\n%s", path, figures)
		}
		if b.Len() == 0 {
			return "", fmt.Errorf("there is no tenant %s", tenant)
		}
		return b.String(), nil
	})
	fmt.Fprint(cmd.OutOrStdout(), out)
	if err != nil {
		return userErr(err)
	}
	return nil
}
