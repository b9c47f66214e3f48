// Package daily holds the daily checks: the small runbooks that run each
// morning (and on demand) beside the patch cycles — the SAML certificate
// expiry check, the Terraform drift report, the status digest of running
// cycles and the compliance posture digest.
//
// They are services over ports (Chat, the store, the pager, the metadata
// sources, the drift checker), so the Slack adapter only renders what they
// return, and the scheduler, `/patch saml|drift|digest` and the CLI call the
// same functions.
package daily
