package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/multi"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks/edr"
)

// newEDR builds the EDR sensor coverage service: Falcon when configured,
// else the simulated console when only simulated clouds are listed or
// `simulate: [sensors]` opts in (it would otherwise claim real hosts have
// no sensor); nil when nothing may read sensors.
func newEDR(cfg *config.Config, w wiring, fleet multi.Cloud, simFleet *sim.Fleet, chat edr.Chat, log *slog.Logger) (*edr.Service, error) {
	var source edr.Fleet
	switch {
	case cfg.Providers.Falcon.Enabled():
		c, err := newFalcon(cfg, w)
		if err != nil {
			return nil, err
		}
		source = c
	case simFleet != nil && (!anyRealCloud(cfg) || slices.Contains(cfg.Providers.Simulate, config.SimulateSensors)):
		source = simFleet
	default:
		return nil, nil
	}
	svc := &edr.Service{Tenants: cfg.Tenants(), Inventory: fleet.Inventory, Fleet: source, Tiers: cfg.EDR.ByEnv(),
		Clock: w.clock, Log: log, Timeout: cfg.Engine.StepTimeout}
	if chat != nil {
		svc.Chat = chat
	}
	return svc, nil
}

// edrChat is the Slack channel the coverage digest goes to (nil without
// Slack).
func edrChat(cfg *config.Config, a *app, log *slog.Logger) edr.Chat {
	if a.slack == nil {
		return nil
	}
	chat := bot.NewDailyChat(a.slack.api, cfg.Slack.Channel, log)
	chat.Tenants = bot.TenantNames(cfg.Tenants())
	return chat
}

// edrJobs is the daily coverage digest (edr.coverage_digest).
func edrJobs(cfg *config.Config, svc *edr.Service) []namedJob {
	if svc == nil {
		return nil
	}
	return []namedJob{{"sensor-coverage", "edr.coverage_digest", cfg.EDR.CoverageDigest, func(ctx context.Context, _ time.Time) error {
		_, err := svc.Digest(ctx)
		return err
	}}}
}

func newSensorsCmd() *cobra.Command {
	var cfgPath string
	cmd := &cobra.Command{Use: "sensors [TENANT] | sensors validate TENANT [ENV] | sensors deploy TENANT ENV [HOST...]",
		Short: "EDR sensor coverage per tenant and environment, or validation of each host against edr.tiers (the same function as /patch sensors)",
		Args:  cobra.MaximumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd.Context(), cfgPath, wiring{readOnly: true, sensors: true}, func(a *app) error {
				if a.edr == nil {
					return fmt.Errorf("no EDR sensor source: configure providers.falcon (or providers.kind sim)")
				}
				out, err := a.edr.Command(cmd.Context(), args)
				if out != "" {
					fmt.Fprintln(cmd.OutOrStdout(), out)
				}
				if err != nil {
					return userErr(err)
				}
				return nil
			})
		}}
	cmd.PersistentFlags().StringVarP(&cfgPath, "config", "c", "", "configuration file")
	_ = cmd.MarkPersistentFlagRequired("config")
	cmd.AddCommand(sensorDeployCmds(&cfgPath)...)
	return cmd
}
