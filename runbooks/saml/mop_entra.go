package saml

import "fmt"

// entraMOP: Entra ID lets an enterprise app hold an inactive new certificate
// and sends notification emails; activation is a single switch.
func entraMOP(in mopInput) Procedure {
	return Procedure{
		Title: fmt.Sprintf("Rotate Entra ID SAML signing certificate for %s", in.Integration),
		Steps: steps(
			fmt.Sprintf("Open a change record for %s: Entra ID certificate serial %s expires %s (%d days left).", in.Integration, in.Serial, in.NotAfter, in.DaysLeft),
			fmt.Sprintf("In the Entra admin center, open Enterprise applications → %s → Single sign-on → SAML Certificates → Edit.", in.Integration),
			"Choose New Certificate, keep the signing option and algorithm the same as the current one, and Save; it is created Inactive.",
			"Check the notification email list on the certificate contains the on-call distribution list.",
			"Download Federation Metadata XML (or the Base64 certificate) for the new certificate and note its thumbprint.",
			fmt.Sprintf("Give it to the owner of the service provider behind %s and have them trust it for issuer %s alongside the current certificate.", in.Integration, in.EntityID),
			"At the cut-over time, open the new certificate's menu and choose Make certificate active.",
			"Test sign-in with the app's Test single sign-on button and with a real user from My Apps.",
			fmt.Sprintf("Once confirmed, ask the service provider to remove the old certificate (serial %s), then delete it from the app.", in.Serial),
		),
		Verification: []string{
			"SAML Certificates shows the new certificate Active with the expected expiry.",
			"Entra sign-in logs show successful sign-ins to the app after activation.",
			"The next `patchgate saml check` no longer reports this certificate.",
		},
		Rollback: []string{
			fmt.Sprintf("Make the old certificate (serial %s, valid until %s) active again; do not delete it until the change is closed.", in.Serial, in.NotAfter),
			"Ask the service provider to trust the old certificate again if they already removed it.",
			"Confirm a sign-in works and record the rollback in the change.",
		},
	}
}
