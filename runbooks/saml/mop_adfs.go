package saml

import "fmt"

// adfsMOP: AD FS normally rolls its own token-signing certificate
// (AutoCertificateRollover); the risk is relying parties that pinned the old
// one, so the procedure is mostly about them. The new certificate does not
// exist when the MOP is written, so its thumbprint is read into $newThumbprint
// on the server; the old one is known and filled in.
func adfsMOP(in mopInput) Procedure {
	old := "$oldThumbprint"
	if in.Thumbprint != "" {
		old = psQuote(in.Thumbprint)
	}
	signon := "on the AD FS farm's `/adfs/ls/idpinitiatedsignon.aspx` page"
	if host := urlHost(in.EntityID); host != "" {
		signon = fmt.Sprintf("at `https://%s/adfs/ls/idpinitiatedsignon.aspx`", host)
	}
	return Procedure{
		Title: fmt.Sprintf("Rotate AD FS token-signing certificate for %s", in.Integration),
		Steps: steps(
			fmt.Sprintf("Open a change record for %s: AD FS certificate serial %s (thumbprint %s) expires %s (%d days left).", in.Integration, in.Serial, orUnknown(in.Thumbprint), in.NotAfter, in.DaysLeft),
			"On the primary AD FS server, run `Get-AdfsProperties | Select-Object AutoCertificateRollover, CertificateGenerationThreshold, CertificatePromotionThreshold` and `Get-AdfsCertificate -CertificateType Token-Signing`.",
			"If AutoCertificateRollover is True, run `Update-AdfsCertificate -CertificateType Token-Signing` to create the secondary now, then `$newThumbprint = Get-AdfsCertificate -CertificateType Token-Signing | Where-Object IsPrimary -eq $false | Select-Object -ExpandProperty Thumbprint`; otherwise import the new certificate from the PKI team, set `$newThumbprint` to its thumbprint and run `Add-AdfsCertificate -CertificateType Token-Signing -Thumbprint $newThumbprint`.",
			"Grant the AD FS service account read access to the new certificate's private key on every AD FS server (manual certificates only).",
			fmt.Sprintf("Tell the owner of relying party %s that the federation metadata of %s now contains the secondary certificate; relying parties that do not read metadata must import it by hand.", in.Integration, in.EntityID),
			"At the cut-over time, promote the new certificate: `Set-AdfsProperties -AutoCertificateRollover $false`, then `Set-AdfsCertificate -CertificateType Token-Signing -Thumbprint $newThumbprint -IsPrimary` (re-enable rollover afterwards if it was on and the certificate is AD FS-generated).",
			fmt.Sprintf("Test an IdP-initiated login to the relying party %s.", signon),
			fmt.Sprintf("After the relying party confirms, remove the old certificate (serial %s): `Remove-AdfsCertificate -CertificateType Token-Signing -Thumbprint %s`.", in.Serial, old),
		),
		Verification: []string{
			"`Get-AdfsCertificate -CertificateType Token-Signing` shows the new certificate as primary on every server.",
			"The AD FS Admin event log shows no event 364 or 317 errors for the relying party after cut-over.",
			"The next `patchgate saml check` no longer reports this certificate.",
		},
		Rollback: []string{
			fmt.Sprintf("Make the old certificate primary again: `Set-AdfsCertificate -CertificateType Token-Signing -Thumbprint %s -IsPrimary` (serial %s, valid until %s).", old, in.Serial, in.NotAfter),
			"Ask relying parties that imported the new certificate by hand to keep the old one trusted.",
			"Confirm a login works and record the rollback in the change.",
		},
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
