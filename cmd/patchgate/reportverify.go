package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/state/checkpoint"
)

func newReportVerifyCmd() *cobra.Command {
	var pubKeys []string
	cmd := &cobra.Command{
		Use:   "verify DIR --public-key FILE",
		Short: "Verify a report bundle offline with the audit public key: manifest seal and hashes, checkpoint signature, audit log re-hashed to the signed head",
		Long: `verify checks a cycle's report bundle (the directory holding its manifest)
with nothing but the audit signing key's public half: no store, no cloud.
It checks the manifest's signature (manifest.sig), every file's SHA-256
against the manifest, the signed checkpoint (checkpoint.json), that the
audit log (audit.jsonl) re-hashes entry by entry to the checkpointed head,
and that the evidence JSON shows exactly those events. Exit 0: verified;
1: something does not verify; 3: the bundle could not be checked.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			keys := &checkpoint.Keyring{}
			err := readPublicKeys(pubKeys, func(id string, pemText []byte) error {
				pub, err := checkpoint.ParsePublicKey(pemText)
				if err != nil {
					return err
				}
				return keys.Add(id, pub)
			})
			if err != nil {
				return err
			}
			return verifyReport(args[0], keys, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringArrayVar(&pubKeys, "public-key", nil, "PEM public key of the audit signing key (repeatable, for bundles signed before a rotation)")
	_ = cmd.MarkFlagRequired("public-key")
	return cmd
}

// verifyReport verifies the bundle in dir and prints each check.
func verifyReport(dir string, keys *checkpoint.Keyring, out io.Writer) error {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return &uncheckedError{msg: fmt.Sprintf("report verify: %s is not a directory", dir)}
	}
	res, err := reports.VerifyBundle(dir, keys)
	if err != nil {
		return &uncheckedError{msg: err.Error()}
	}
	for _, c := range res.Checked {
		fmt.Fprintln(out, "ok     ", c)
	}
	for _, p := range res.Problems {
		fmt.Fprintln(out, "BROKEN ", p)
	}
	if !res.OK() {
		fmt.Fprintf(out, "report %s does NOT verify: %d problems\n", dir, len(res.Problems))
		return &findingError{msg: "report does not verify"}
	}
	fmt.Fprintf(out, "report %s verifies\n", dir)
	return nil
}
