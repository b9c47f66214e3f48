package saml

import "fmt"

// awsMOP: IAM SAML providers hold the IdP metadata, so rotation means
// uploading metadata that carries both certificates, then removing the old one.
func awsMOP(in mopInput) Procedure {
	arn, where := awsProvider(in)
	before := in.FileStem + "-before.xml"
	get := "aws iam get-saml-provider --saml-provider-arn " + arn
	update := "aws iam update-saml-provider --saml-provider-arn " + arn + " --saml-metadata-document "
	return Procedure{
		Title: fmt.Sprintf("Rotate SAML certificate for %s (AWS IAM SAML provider)", in.Integration),
		Steps: steps(
			fmt.Sprintf("Open a change record for %s: certificate serial %s expires %s (%d days left).", in.Integration, in.Serial, in.NotAfter, in.DaysLeft),
			fmt.Sprintf("Record the current provider%s: `%s --query SAMLMetadataDocument --output text > %s` and attach it to the change.", where, get, shQuote(before)),
			fmt.Sprintf("Ask the IdP team for entity %s to generate the new signing certificate and publish metadata that lists BOTH the old (serial %s) and the new certificate.", in.EntityID, in.Serial),
			"Download the new IdP metadata to `new-metadata.xml`; confirm it is from the IdP (TLS from its metadata URL, or signed) and that it contains the new certificate's fingerprint given by the IdP team.",
			fmt.Sprintf("Update the provider: `%s`.", update+shQuote("file://new-metadata.xml")),
			"Repeat the update in every account that has a SAML provider for this IdP (check `aws iam list-saml-providers` per account).",
			"At the agreed cut-over, have the IdP team switch signing to the new certificate.",
			"Test a console login through the IdP for one read-only role and one admin role in each account.",
			fmt.Sprintf("After cut-over is confirmed, upload metadata with only the new certificate so serial %s is no longer trusted.", in.Serial),
			"Close the change record with the new serial and not-after date.",
		),
		Verification: []string{
			fmt.Sprintf("`%s` shows the new certificate in SAMLMetadataDocument and a fresh ValidUntil.", get),
			"A federated login succeeds in every account and CloudTrail shows `AssumeRoleWithSAML` events after the cut-over.",
			"The next `patchgate saml check` no longer reports this certificate.",
		},
		Rollback: []string{
			fmt.Sprintf("Re-upload the saved metadata%s: `%s`.", where, update+shQuote("file://"+before)),
			fmt.Sprintf("Ask the IdP team to sign with the old certificate (serial %s) again; it is valid until %s.", in.Serial, in.NotAfter),
			"Confirm a federated login works again and record the rollback in the change.",
		},
	}
}

// awsProvider is the provider ARN as a shell word and where to run the
// commands. Without a known ARN (metadata read from a file or URL) the
// commands take it from PROVIDER_ARN and refuse to run while it is unset.
func awsProvider(in mopInput) (arn, where string) {
	if in.ResourceID == "" {
		return `"${PROVIDER_ARN:?set PROVIDER_ARN to the ARN listed by aws iam list-saml-providers}"`,
			" (set PROVIDER_ARN to this IdP's provider ARN first)"
	}
	if acct := arnAccount(in.ResourceID); acct != "" {
		where = " with credentials for account " + acct
	}
	return shQuote(in.ResourceID), where
}
