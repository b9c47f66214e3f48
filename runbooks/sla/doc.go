// Package sla measures patch compliance between cycles: each missing patch
// on each host gets a deadline from its vendor release date and severity
// (shorter when one of its CVEs is in CISA's Known Exploited Vulnerabilities
// catalogue), risk-accepted exceptions take items out of the count while
// keeping them listed, and the daily posture scan records per tenant and
// environment how many hosts are within SLA, due soon, overdue, excepted or
// unmanaged, paging once per host and patch on a critical or KEV breach.
//
// Evaluation is pure (Evaluate: findings, policy, catalogue, exceptions and
// a time in, verdicts out); the scan, the exceptions' store and the history
// are services over runbooks ports and state.Store.
package sla
