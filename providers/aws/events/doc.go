// Package events is the intake of AWS Config compliance changes: it parses
// the EventBridge "Config Rules Compliance Change" event, places the
// instance in a tenant's environment (triage) and hands it to the
// remediation runbook, from an SQS queue (long-poll, delete only after the
// event is recorded) or from the bot's signed HTTP intake.
package events
