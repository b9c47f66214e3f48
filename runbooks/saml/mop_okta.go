package saml

import "fmt"

// oktaMOP: in Okta the IdP signing key is per app; the new key is generated
// in the app, then the service provider must trust it before activation.
func oktaMOP(in mopInput) Procedure {
	return Procedure{
		Title: fmt.Sprintf("Rotate Okta SAML signing certificate for %s", in.Integration),
		Steps: steps(
			fmt.Sprintf("Open a change record for %s: Okta certificate serial %s expires %s (%d days left).", in.Integration, in.Serial, in.NotAfter, in.DaysLeft),
			fmt.Sprintf("In the Okta Admin Console, open Applications → %s → Sign On → SAML Signing Certificates.", in.Integration),
			"Choose Generate new certificate (do not Activate yet); Okta keeps the current certificate active.",
			"Download the new certificate's metadata (Actions → View IdP metadata) and note its fingerprint.",
			fmt.Sprintf("Give the new metadata or certificate to the owner of the service provider behind %s and have them trust it for issuer %s alongside the current one (or schedule a joint cut-over if it accepts only one).", in.Integration, in.EntityID),
			"At the cut-over time, select the new certificate and choose Actions → Activate.",
			"Test an SP-initiated and an IdP-initiated login with a test user assigned to the app.",
			fmt.Sprintf("Once confirmed, ask the service provider to remove the old certificate (serial %s).", in.Serial),
		),
		Verification: []string{
			"The app's SAML Signing Certificates list shows the new certificate as Active.",
			"Okta System Log shows successful `user.authentication.sso` events for the app after activation.",
			"The next `patchgate saml check` no longer reports this certificate.",
		},
		Rollback: []string{
			fmt.Sprintf("In Sign On → SAML Signing Certificates, re-activate the previous certificate (serial %s, valid until %s).", in.Serial, in.NotAfter),
			"Ask the service provider to trust the old certificate again if they already removed it.",
			"Confirm a login works and record the rollback in the change.",
		},
	}
}
