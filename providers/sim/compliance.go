package sim

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

// Config-like methods of the fleet, counted in Stats.Calls.
const (
	MethodStartEvaluation = "StartConfigRulesEvaluation"
	MethodCompliance      = "GetComplianceDetailsByResource"
)

var _ runbooks.ComplianceEvaluator = (*Fleet)(nil)

// StartEvaluation stands for AWS Config's StartConfigRulesEvaluation: the
// simulated rules always evaluate from the fleet's current state, so it
// only counts the call.
func (f *Fleet) StartEvaluation(ctx context.Context, account, region string, rules []string) error {
	return f.call(ctx, MethodStartEvaluation, func(int) error { return nil })
}

// Compliance answers, per instance and rule, COMPLIANT recorded when the
// host's last patch finished once nothing is pending, else NON_COMPLIANT
// recorded now. An instance the fleet does not know gets no result.
func (f *Fleet) Compliance(ctx context.Context, account, region string, instances, rules []string) ([]runbooks.ComplianceResult, error) {
	var out []runbooks.ComplianceResult
	err := f.call(ctx, MethodCompliance, func(int) error {
		now := f.now()
		for _, id := range instances {
			i, ok := f.w.byID[id]
			if !ok {
				continue
			}
			h := f.view(i, now)
			verdict, at := runbooks.NonCompliant, now
			if h.PendingPatches == 0 && !h.LastPatched.IsZero() {
				verdict, at = runbooks.Compliant, h.LastPatched
			}
			for _, rule := range rules {
				out = append(out, runbooks.ComplianceResult{Instance: id, Rule: rule, Compliance: verdict, Recorded: at})
			}
		}
		return nil
	})
	return out, err
}
