package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/multi"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/sla"
	"github.com/patchgate/patchgate/state"
)

// newSLA builds the SLA posture service over the fleet's patch findings;
// nil when no cloud reads them.
func newSLA(cfg *config.Config, st state.Store, fleet multi.Cloud, simFleet *sim.Fleet, pager runbooks.Pager, dir runbooks.Directory,
	clock runbooks.Clock, chat sla.Chat, log *slog.Logger) *sla.Service {
	if fleet.Findings == nil {
		return nil
	}
	c := cfg.SLA
	svc := &sla.Service{Store: st, Tenants: cfg.Tenants(), Inventory: fleet.Inventory, Findings: fleet.Findings, Policy: c.Policy(),
		Pager: pager, Clock: clock, ReminderDays: c.ReminderDays, RiskApprovers: c.RiskApprovers, RiskGroups: c.RiskGroups,
		MinApprovals: c.MinApprovals, MaxExceptionDays: c.MaxExceptionDays, Directory: dir, Log: log, Charts: reports.PostureCharts}
	if chat != nil {
		svc.Chat = chat
	}
	switch {
	case c.KEVCatalogue != "":
		where := c.KEVCatalogue
		svc.KEV = func(ctx context.Context) (*sla.KEV, error) { return sla.LoadKEV(ctx, nil, where) }
	case simFleet != nil && cfg.Providers.Kind == config.ProviderSim && !anyRealCloud(cfg):
		// The demo fleet's advisories name simulated CVEs; its own
		// catalogue lists the KEV ones (never used beside a real cloud).
		svc.KEV = func(context.Context) (*sla.KEV, error) { return sla.ParseKEV(simFleet.KEVCatalogue(), "simulation") }
	}
	return svc
}

// slaForReports lets the cycle report measure PCI DSS 6.3.3 from the
// tenant's latest posture scan (nil without the service).
func slaForReports(svc *sla.Service) func(ctx context.Context, tenant string) (*reports.SLAPosture, error) {
	if svc == nil {
		return nil
	}
	return func(ctx context.Context, tenant string) (*reports.SLAPosture, error) {
		snaps, err := svc.Latest(ctx, tenant)
		if err != nil {
			return nil, err
		}
		xs, err := svc.Exceptions(ctx, tenant)
		if err != nil {
			return nil, err
		}
		p := &reports.SLAPosture{Exceptions: xs}
		if len(snaps) > 0 {
			p.Snapshot = &snaps[0]
		}
		return p, nil
	}
}

func anyRealCloud(cfg *config.Config) bool {
	p := cfg.Providers
	return p.AWS.Enabled() || p.Azure.Enabled() || p.GCP.Configured
}

// slaJobs is the daily posture scan, claimed once per UTC day across
// replicas (a second run that day is not an error).
func slaJobs(cfg *config.Config, svc *sla.Service) []namedJob {
	if svc == nil {
		return nil
	}
	return []namedJob{{"posture-scan", "schedules.posture_scan", cfg.Schedules.PostureScan, func(ctx context.Context, _ time.Time) error {
		_, err := svc.ScanDaily(ctx)
		if errors.Is(err, sla.ErrScanned) {
			return nil
		}
		return err
	}}}
}

// slaChat is the Slack channel the digest and reminders go to (nil without
// Slack).
func slaChat(cfg *config.Config, a *app, log *slog.Logger) sla.Chat {
	if a.slack == nil {
		return nil
	}
	chat := bot.NewDailyChat(a.slack.api, cfg.Slack.Channel, log)
	chat.Tenants = bot.TenantNames(cfg.Tenants())
	return chat
}

func newSLACmd() *cobra.Command {
	var cfgPath, as string
	cmd := &cobra.Command{Use: "sla", Short: "Patch SLA posture and exceptions (the same functions as /patch posture and /patch except)"}
	cmd.PersistentFlags().StringVarP(&cfgPath, "config", "c", "", "configuration file")
	_ = cmd.MarkPersistentFlagRequired("config")
	with := func(ctx context.Context, readOnly bool, fn func(*sla.Service) (string, error)) (string, error) {
		return withSLA(ctx, cfgPath, readOnly, fn)
	}
	posture := &cobra.Command{Use: "posture [TENANT | scan]", Short: "Print the latest posture, or scan now", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			scan := len(args) == 1 && args[0] == "scan"
			out, err := with(cmd.Context(), !scan, func(s *sla.Service) (string, error) { return s.Posture(cmd.Context(), args) })
			if out != "" {
				fmt.Fprintln(cmd.OutOrStdout(), out)
			}
			if err != nil {
				return userErr(err)
			}
			return nil
		}}
	except := &cobra.Command{Use: "except TENANT TARGET UNTIL REASON… control: CONTROL… | approve ID | reject ID | list [TENANT]",
		Short: "Request, approve, reject or list exceptions, acting as the Slack user --as", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := with(cmd.Context(), false, func(s *sla.Service) (string, error) { return s.Except(cmd.Context(), args, as) })
			if err != nil {
				return userErr(err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), out)
			return nil
		}}
	except.Flags().StringVar(&as, "as", "", "the Slack user ID acting (checked against sla.risk_approvers; four eyes apply)")
	_ = except.MarkFlagRequired("as")
	var month, tenant, outDir string
	report := &cobra.Command{Use: "report --month YYYY-MM --tenant NAME --out DIR", Short: "Write a tenant's monthly posture PDF (the same as patchgate report posture --month)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := with(cmd.Context(), true, func(s *sla.Service) (string, error) {
				path, _, err := writePostureReport(cmd.Context(), s, tenant, month, outDir)
				return path, err
			})
			if err != nil {
				return userErr(err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), out)
			return nil
		}}
	report.Flags().StringVar(&month, "month", time.Now().UTC().Format("2006-01"), "the month, YYYY-MM")
	report.Flags().StringVar(&tenant, "tenant", "", "the tenant")
	report.Flags().StringVar(&outDir, "out", ".", "directory to write the PDF to")
	_ = report.MarkFlagRequired("tenant")
	cmd.AddCommand(posture, except, report)
	return cmd
}

// withSLA builds the SLA service from the configuration file; a scan or an
// exception decision builds the providers, pager and Slack for real,
// reading the posture does not.
func withSLA(ctx context.Context, cfgPath string, readOnly bool, fn func(*sla.Service) (string, error)) (out string, err error) {
	err = withApp(ctx, cfgPath, wiring{readOnly: readOnly}, func(a *app) error {
		if a.sla == nil {
			return fmt.Errorf("no configured cloud reads patch findings")
		}
		out, err = fn(a.sla)
		return err
	})
	return out, err
}

// writePostureReport writes a tenant's monthly posture PDF (SLA posture
// and the outcome figures read from the audit log) under outDir and
// returns its path and the outcome figures as text with their queries.
func writePostureReport(ctx context.Context, s *sla.Service, tenant, month, outDir string) (string, string, error) {
	m, err := s.MonthReport(ctx, tenant, month)
	if err != nil {
		return "", "", err
	}
	o, err := reports.OutcomesOf(ctx, s.Store, month)
	if err != nil {
		return "", "", err
	}
	var buf bytes.Buffer
	if err := reports.RenderPosturePDF(&buf, reports.PostureReport{Month: m, Outcomes: o}, time.Now()); err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", "", err
	}
	path := filepath.Join(outDir, "sla-posture-"+tenant+"-"+month+".pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", "", err
	}
	return path, reports.OutcomesText(month, tenant, reports.OutcomeRows(o, tenant, m.Latest)), nil
}
