package sim

import (
	"context"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// Config-like methods of the fleet, counted in Stats.Calls.
const (
	MethodStartEvaluation = "StartConfigRulesEvaluation"
	MethodCompliance      = "GetComplianceDetailsByResource"
)

var _ runbooks.ComplianceEvaluator = (*Fleet)(nil)

// StartEvaluation stands for AWS Config's StartConfigRulesEvaluation: the
// simulated rules evaluate from the fleet's current state, and a
// re-evaluation records its results anew, so the time it was asked is
// kept for each rule (and persisted, as Config keeps it across our
// restarts).
func (f *Fleet) StartEvaluation(ctx context.Context, account, region string, rules []string) error {
	return f.call(ctx, MethodStartEvaluation, func(int) error {
		if f.st.Evaluated == nil {
			f.st.Evaluated = map[string]time.Time{}
		}
		now := f.now()
		for _, rule := range rules {
			f.st.Evaluated[evaluationKey(account, region, rule)] = now
		}
		return f.commit()
	})
}

func evaluationKey(account, region, rule string) string { return account + "/" + region + "/" + rule }

// Compliance answers, per instance and rule, COMPLIANT once nothing is
// pending after the host's last patch, recorded when the patch finished or
// when the rule was last re-evaluated, whichever is later; else
// NON_COMPLIANT recorded now. An instance the fleet does not know gets no
// result.
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
			compliant := h.PendingPatches == 0 && !h.LastPatched.IsZero()
			for _, rule := range rules {
				verdict, at := runbooks.NonCompliant, now
				if compliant {
					verdict, at = runbooks.Compliant, h.LastPatched
					if ev := f.st.Evaluated[evaluationKey(account, region, rule)]; ev.After(at) && !ev.After(now) {
						at = ev
					}
				}
				out = append(out, runbooks.ComplianceResult{Instance: id, Rule: rule, Compliance: verdict, Recorded: at})
			}
		}
		return nil
	})
	return out, err
}
