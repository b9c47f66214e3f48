package runbooks

import (
	"context"
	"time"
)

// RemediationSettings tune event-driven remediation (config's remediation
// section sets them).
type RemediationSettings struct {
	// Debounce is how long events of one tenant's environment gather
	// into one remediation card.
	Debounce time.Duration
	// ComplianceTimeout is how long after the re-evaluation starts Config
	// may take to report the instances COMPLIANT.
	ComplianceTimeout time.Duration
	// CompliancePoll is how often Config is read meanwhile.
	CompliancePoll time.Duration
	// ClaimTTL is how long an event's claim is kept, so a redelivery
	// within it is recognised (on stores with record lifetimes).
	ClaimTTL time.Duration
}

// Remediation defaults.
const (
	DefaultRemediationDebounce = 10 * time.Minute
	DefaultComplianceTimeout   = time.Hour
	DefaultCompliancePoll      = time.Minute
	// DefaultClaimTTL outlasts SQS's longest retention (14 days), so a
	// message redelivered at the end of it still finds its claim.
	DefaultClaimTTL = 15 * 24 * time.Hour
)

func (s RemediationSettings) claimTTL() time.Duration {
	if s.ClaimTTL <= 0 {
		return DefaultClaimTTL
	}
	return s.ClaimTTL
}

func (s RemediationSettings) debounce() time.Duration {
	if s.Debounce <= 0 {
		return DefaultRemediationDebounce
	}
	return s.Debounce
}

func (s RemediationSettings) complianceTimeout() time.Duration {
	if s.ComplianceTimeout <= 0 {
		return DefaultComplianceTimeout
	}
	return s.ComplianceTimeout
}

func (s RemediationSettings) compliancePoll() time.Duration {
	if s.CompliancePoll <= 0 {
		return DefaultCompliancePoll
	}
	return s.CompliancePoll
}

// ComplianceEvaluator is AWS Config as a remediation uses it: ask the
// rules to evaluate again, then read each instance's verdict.
type ComplianceEvaluator interface {
	// StartEvaluation asks Config in one account and region to evaluate
	// rules again (StartConfigRulesEvaluation).
	StartEvaluation(ctx context.Context, account, region string, rules []string) error
	// Compliance reads the instances' verdicts under rules
	// (GetComplianceDetailsByResource): one result per instance and rule.
	Compliance(ctx context.Context, account, region string, instances, rules []string) ([]ComplianceResult, error)
}

// ComplianceResult is Config's verdict on one instance under one rule, as
// Config recorded it.
type ComplianceResult struct {
	Instance   string
	Rule       string
	Compliance string    // COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE, INSUFFICIENT_DATA
	Recorded   time.Time // when Config recorded the verdict
}
