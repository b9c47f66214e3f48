package saml

import "fmt"

// awsMOP: IAM SAML providers hold the IdP metadata, so rotation means
// uploading metadata that carries both certificates, then removing the old one.
func awsMOP(in mopInput) Procedure {
	return Procedure{
		Title: fmt.Sprintf("Rotate SAML certificate for %s (AWS IAM SAML provider)", in.Integration),
		Steps: steps(
			fmt.Sprintf("Open a change record for %s: certificate serial %s expires %s (%d days left).", in.Integration, in.Serial, in.NotAfter, in.DaysLeft),
			fmt.Sprintf("Record the current provider: `aws iam get-saml-provider --saml-provider-arn <provider-arn> --query SAMLMetadataDocument --output text > %s-before.xml` and attach it to the change.", in.Integration),
			fmt.Sprintf("Ask the IdP team for entity %s to generate the new signing certificate and publish metadata that lists BOTH the old (serial %s) and the new certificate.", in.EntityID, in.Serial),
			"Download the new IdP metadata to `new-metadata.xml`; confirm it is from the IdP (TLS from its metadata URL, or signed) and that it contains the new certificate's fingerprint given by the IdP team.",
			"Update the provider: `aws iam update-saml-provider --saml-provider-arn <provider-arn> --saml-metadata-document file://new-metadata.xml`.",
			"Repeat the update in every account that has a SAML provider for this IdP (check `aws iam list-saml-providers` per account).",
			"At the agreed cut-over, have the IdP team switch signing to the new certificate.",
			"Test a console login through the IdP for one read-only role and one admin role in each account.",
			fmt.Sprintf("After cut-over is confirmed, upload metadata with only the new certificate so serial %s is no longer trusted.", in.Serial),
			"Close the change record with the new serial and not-after date.",
		),
		Verification: []string{
			"`aws iam get-saml-provider --saml-provider-arn <provider-arn>` shows the new certificate in SAMLMetadataDocument and a fresh ValidUntil.",
			"A federated login succeeds in every account and CloudTrail shows `AssumeRoleWithSAML` events after the cut-over.",
			"The next `patchgate saml check` no longer reports this certificate.",
		},
		Rollback: []string{
			fmt.Sprintf("Re-upload the saved metadata: `aws iam update-saml-provider --saml-provider-arn <provider-arn> --saml-metadata-document file://%s-before.xml`.", in.Integration),
			fmt.Sprintf("Ask the IdP team to sign with the old certificate (serial %s) again; it is valid until %s.", in.Serial, in.NotAfter),
			"Confirm a federated login works again and record the rollback in the change.",
		},
	}
}
