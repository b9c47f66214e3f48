package main

import (
	"fmt"

	"time"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/config"
	awsprovider "github.com/patchgate/patchgate/providers/aws"
	"github.com/patchgate/patchgate/runbooks/drift"
	"github.com/patchgate/patchgate/runbooks/saml"
)

func newSAMLCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "saml", Short: "SAML certificate expiry checks"}
	var cfgPath string
	check := &cobra.Command{
		Use:   "check",
		Short: "Read every configured metadata source and list certificates below the warning threshold",
		Long: `check reads the saml section's sources (metadata URLs and files, and the
IAM SAML providers of kind aws-iam sources) and prints
each certificate expiring within warn_days, most urgent first, and each
source that could not be read. It posts nothing and pages no one: the bot's
scheduled check and /patch saml do that.

Exit status: 0 when nothing is below page_days (warnings alone are 0), 1
when a certificate is below page_days or expired, or a source failed, 2 on
any other error (e.g. a bad configuration).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cfgPath)
			if err != nil {
				return err
			}
			if len(cfg.SAML.Sources) == 0 {
				return fmt.Errorf("saml.sources: none configured")
			}
			now := time.Now()
			sources, err := samlSources(cfg, func() (*awsprovider.Provider, error) {
				p, err := awsprovider.New(cmd.Context(), awsConfig(cfg))
				if err != nil {
					return nil, fmt.Errorf("providers.aws: %w", err)
				}
				return p, nil
			})
			if err != nil {
				return err
			}
			scan, findings := saml.Check(cmd.Context(), sources, samlThresholds(cfg.SAML), now)
			fmt.Fprint(cmd.OutOrStdout(), saml.FormatText(findings, scan, now))
			if saml.Urgent(findings) || len(scan.Failed) > 0 {
				return &findingError{msg: "saml check found certificates below the page threshold or unreadable sources"}
			}
			return nil
		},
	}
	check.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file")
	_ = check.MarkFlagRequired("config")
	cmd.AddCommand(check)
	return cmd
}

func newDriftCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "drift", Short: "Terraform drift reports"}
	var cfgPath string
	check := &cobra.Command{
		Use:   "check",
		Short: "Run a refresh-only plan in every configured workspace and print the drift digest",
		Long: `check runs terraform (init, plan -refresh-only -detailed-exitcode, show
-json) in each workspace of the drift section, at most drift.concurrency at a
time, and prints the digest grouped by tenant and account. It records
nothing: decisions (Ratify/Remediate) are made on the bot's digest.

Exit status: 0 when every workspace is clean, 1 when any drifted or failed
(a failed workspace is never counted clean), 2 on any other error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cfgPath)
			if err != nil {
				return err
			}
			if len(cfg.Drift.Workspaces) == 0 {
				return fmt.Errorf("drift.workspaces: none configured")
			}
			results := driftChecker(cfg.Drift, nil, nil).Check(cmd.Context(), cfg.Drift.Workspaces)
			d := drift.DigestOf(results, time.Now())
			fmt.Fprint(cmd.OutOrStdout(), drift.FormatText(d))
			if drifted, failed, _ := d.Counts(); drifted+failed > 0 {
				return &findingError{msg: "drift check found drift or failed workspaces"}
			}
			return nil
		},
	}
	check.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file")
	_ = check.MarkFlagRequired("config")
	cmd.AddCommand(check)
	return cmd
}
