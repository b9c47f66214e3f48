package main

import "github.com/spf13/cobra"

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "patchgate",
		Short:         "Compliance-driven OS patch cycles, gated and approved from Slack",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newDemoCmd(), newVersionCmd(), newServeCmd(), newConfigCmd(), newAuditCmd(), newCycleCmd(), newRollbackCmd(), newRemediationCmd(), newPreventionCmd(),
		newReportCmd(), newSAMLCmd(), newDriftCmd(), newDoctorCmd(), newSLACmd(), newSensorsCmd())
	root.AddCommand(newFreezeCmds()...)
	root.AddCommand(newPreflightCmd())
	return root
}
