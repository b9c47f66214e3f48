package saml

import "fmt"

// genericMOP is the fallback for IdPs without a template: the sequence every
// SAML rotation shares (add new, cut over, remove old) with the facts filled in.
func genericMOP(in mopInput) Procedure {
	return Procedure{
		Title: fmt.Sprintf("Rotate SAML certificate for %s", in.Integration),
		Steps: steps(
			fmt.Sprintf("Open a change record for %s: certificate serial %s expires %s (%d days left).", in.Integration, in.Serial, in.NotAfter, in.DaysLeft),
			fmt.Sprintf("Identify the owner of entity %s and the systems that trust this %s certificate.", in.EntityID, in.Use),
			"Save the current metadata and configuration of both sides and attach them to the change.",
			"Generate or obtain the new certificate on the IdP and publish metadata that lists both the old and the new certificate.",
			"Have every service provider trust the new certificate alongside the old one.",
			"At the agreed cut-over, switch the IdP to sign with the new certificate.",
			"Test a login for a normal user and an administrator.",
			fmt.Sprintf("After confirmation, remove the old certificate (serial %s) from the IdP and from every service provider.", in.Serial),
		),
		Verification: []string{
			"Published metadata contains the new certificate with the expected not-after date.",
			"Logins succeed and the service provider logs show assertions signed by the new certificate.",
			"The next `patchgate saml check` no longer reports this certificate.",
		},
		Rollback: []string{
			fmt.Sprintf("Switch the IdP back to the old certificate (serial %s, valid until %s) and restore the saved metadata.", in.Serial, in.NotAfter),
			"Confirm a login works and record the rollback in the change.",
		},
	}
}
