package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/runbooks"
)

// sensorDeployCmds are `patchgate sensors deploy|deployments|decide`:
// request, show and decide sensor deployments through the same engine
// functions as /patch sensors deploy and the deployment message's buttons.
func sensorDeployCmds(cfgPath *string) []*cobra.Command {
	withEngine := func(ctx context.Context, fn func(*runbooks.Engine) error) error {
		return withApp(ctx, *cfgPath, wiring{sensors: true}, func(a *app) error { return fn(a.engine) })
	}
	var req runbooks.SensorDeployRequest
	deploy := &cobra.Command{Use: "deploy TENANT ENV [HOST...]", Short: "Request a sensor deployment (every host without a current sensor when none is named)",
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Tenant, req.Env, req.Hosts = args[0], args[1], args[2:]
			return withEngine(cmd.Context(), func(e *runbooks.Engine) error {
				d, err := e.RequestSensorDeploy(cmd.Context(), req)
				if err != nil {
					return userErr(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "requested %s (revision %d)\n%s\n", d.ID, d.Revision, bot.SensorDeployRequestedText(d))
				return nil
			})
		}}
	deploy.Flags().StringVar(&req.Requester, "as", "", "the requester's Slack user ID")
	deploy.Flags().StringVar(&req.Reason, "reason", "", "why the sensor is deployed")
	_ = deploy.MarkFlagRequired("as")

	show := &cobra.Command{Use: "deployment ID", Short: "Show a sensor deployment's hosts, batches and audit events", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withEngine(cmd.Context(), func(e *runbooks.Engine) error {
				d, err := e.GetSensorDeploy(cmd.Context(), args[0])
				if err != nil {
					return userErr(err)
				}
				events, err := e.SensorDeployEvents(cmd.Context(), d.ID)
				if err != nil {
					return err
				}
				printSensorDeploy(cmd.OutOrStdout(), d, events)
				return nil
			})
		}}

	decide, _ := decideCmd("decide ID", "Approve, reject or retry a sensor deployment", "approve | reject | retry", "reason, for reject", "deployment", withEngine, nil)
	return []*cobra.Command{deploy, show, decide}
}

func printSensorDeploy(w io.Writer, d *runbooks.SensorDeploy, events []runbooks.Event) {
	fmt.Fprintf(w, "%s  %s/%s  %s  approvals %d/%d  revision %d\n", d.ID, d.Tenant, d.Env, d.Status, len(d.Approvals), d.MinApprovals, d.Revision)
	if d.Failure != nil {
		fmt.Fprintf(w, "failed: %s\n", d.Failure.Reason)
		for _, f := range d.Failure.Findings {
			fmt.Fprintf(w, "  • %s (%s): %s\n", f.HostName, f.HostID, f.Reason)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  HOST\tCLOUD\tACTION\tBATCH\tRESULT\tWHY")
	for _, h := range d.Hosts {
		result := h.Result
		if result == "" {
			result = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\t%s\n", h.Host.Name, h.Host.Cloud, h.Action, h.Batch+1, result, h.Why)
	}
	_ = tw.Flush()
	for _, ev := range events {
		fmt.Fprintf(w, "  %s  %-28s %-10s %s\n", ev.At.UTC().Format("2006-01-02 15:04:05Z"), ev.Type, ev.Actor, ev.Detail)
	}
}
