package runbooks

import "time"

// ComplianceEvent is one AWS Config compliance change of one instance, as
// the intake hands it to the remediation runbook (CONTRACTS §5). The intake
// parses it from the EventBridge "Config Rules Compliance Change" event and
// triage sets Tenant and Env from the account and the instance's tags.
type ComplianceEvent struct {
	ID         string    `json:"id"` // EventBridge event id (the claim key)
	Account    string    `json:"account"`
	Region     string    `json:"region"`
	InstanceID string    `json:"instance"`
	Rule       string    `json:"rule"`       // Config rule name
	Compliance string    `json:"compliance"` // NON_COMPLIANT | COMPLIANT | …
	At         time.Time `json:"at"`         // the event's time (non-compliant since)
	Source     string    `json:"source"`     // "sqs:<queue name>" | "http"
	Tenant     string    `json:"tenant"`     // set by triage
	Env        string    `json:"env"`        // set by triage
}
