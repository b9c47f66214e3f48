// Package aws implements the fleet ports of runbooks (Inventory, Backups,
// Patcher), the access report (Access) and the evidence archive (Archive) on
// aws-sdk-go-v2, plus the source of SAML identity-provider certificates.
//
// Every tenant account is reached by STS AssumeRole from the bot's own
// identity (the default credential chain). Accounts and regions are walked
// concurrently, but each account has a bound on concurrent API calls so one
// large tenant cannot starve the rest or trip the account's API limits; the
// SDK's adaptive retryer absorbs throttling.
//
// Only targets whose Cloud is runbooks.AWS are acted on; hosts of other
// clouds in a request are ignored (providers/multi routes them).
package aws
