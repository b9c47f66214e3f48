package saml

import "fmt"

// adfsMOP: AD FS normally rolls its own token-signing certificate
// (AutoCertificateRollover); the risk is relying parties that pinned the old
// one, so the procedure is mostly about them.
func adfsMOP(in mopInput) Procedure {
	return Procedure{
		Title: fmt.Sprintf("Rotate AD FS token-signing certificate for %s", in.Integration),
		Steps: steps(
			fmt.Sprintf("Open a change record for %s: AD FS certificate serial %s expires %s (%d days left).", in.Integration, in.Serial, in.NotAfter, in.DaysLeft),
			"On the primary AD FS server, run `Get-AdfsProperties | Select AutoCertificateRollover, CertificateGenerationThreshold, CertificatePromotionThreshold` and `Get-AdfsCertificate -CertificateType Token-Signing`.",
			"If AutoCertificateRollover is True, run `Update-AdfsCertificate -CertificateType Token-Signing` to create the secondary now; otherwise import the new certificate from the PKI team and run `Add-AdfsCertificate -CertificateType Token-Signing -Thumbprint <new-thumbprint>`.",
			"Grant the AD FS service account read access to the new certificate's private key on every AD FS server (manual certificates only).",
			fmt.Sprintf("Tell the owner of relying party %s that the federation metadata of %s now contains the secondary certificate; relying parties that do not read metadata must import it by hand.", in.Integration, in.EntityID),
			"At the cut-over time, promote the new certificate: `Set-AdfsProperties -AutoCertificateRollover $false`, then `Set-AdfsCertificate -CertificateType Token-Signing -Thumbprint <new-thumbprint> -IsPrimary` (re-enable rollover afterwards if it was on and the certificate is AD FS-generated).",
			"Test an IdP-initiated login to the relying party at `https://<adfs-host>/adfs/ls/idpinitiatedsignon.aspx`.",
			fmt.Sprintf("After the relying party confirms, remove the old certificate (serial %s) with `Remove-AdfsCertificate`.", in.Serial),
		),
		Verification: []string{
			"`Get-AdfsCertificate -CertificateType Token-Signing` shows the new certificate as primary on every server.",
			"The AD FS Admin event log shows no event 364 or 317 errors for the relying party after cut-over.",
			"The next `patchgate saml check` no longer reports this certificate.",
		},
		Rollback: []string{
			fmt.Sprintf("Make the old certificate primary again: `Set-AdfsCertificate -CertificateType Token-Signing -Thumbprint <old-thumbprint> -IsPrimary` (serial %s, valid until %s).", in.Serial, in.NotAfter),
			"Ask relying parties that imported the new certificate by hand to keep the old one trusted.",
			"Confirm a login works and record the rollback in the change.",
		},
	}
}
