package aws

import (
	"context"
	"errors"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"

	"github.com/patchgate/patchgate/providers/aws/events"
	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.ComplianceEvaluator = (*Provider)(nil)

// configEndpoint is the endpoint key of AWS Config: the SDK's service ID
// ("Config Service"), as every other key is, so a failed call's CallError
// names the key it went to.
const configEndpoint = "config-service"

// Config's documented limits: rules per StartConfigRulesEvaluation, and
// results per GetComplianceDetailsByConfigRule page.
const (
	maxEvaluationRules = 25
	compliancePage     = 100
)

// StartEvaluation asks AWS Config in the tenant account and region, through
// the tenant role, to evaluate rules again (StartConfigRulesEvaluation).
// Config refuses a second start while one of the rules is still being
// evaluated (LimitExceededException, also its answer to more than one start
// a minute); that evaluation's results serve as well, since a verdict only
// counts when recorded after the patch, so the refusal counts as started.
func (p *Provider) StartEvaluation(ctx context.Context, account, region string, rules []string) error {
	c := p.clientsFor(account, region)
	for chunk := range slices.Chunk(rules, maxEvaluationRules) {
		err := p.call(ctx, account, func() error {
			_, err := c.config.StartConfigRulesEvaluation(ctx, &configservice.StartConfigRulesEvaluationInput{ConfigRuleNames: chunk})
			return err
		})
		if err != nil && !evaluationRunning(err) {
			return err
		}
	}
	return nil
}

func evaluationRunning(err error) bool {
	var limit *cstypes.LimitExceededException
	return errors.As(err, &limit)
}

// Compliance reads each rule's latest verdict on the instances
// (GetComplianceDetailsByConfigRule). It reads by rule, not by resource,
// because the rule's resource (AWS::SSM::PatchCompliance) is named by the
// instance with or without a type prefix, which only the results show, and
// because IAM grants the by-rule read on the rule alone. Paging stops once
// every instance has its verdict; an instance Config has not evaluated
// gets no result.
func (p *Provider) Compliance(ctx context.Context, account, region string, instances, rules []string) ([]runbooks.ComplianceResult, error) {
	c := p.clientsFor(account, region)
	var out []runbooks.ComplianceResult
	for _, rule := range rules {
		missing := map[string]bool{}
		for _, id := range instances {
			missing[id] = true
		}
		pages := configservice.NewGetComplianceDetailsByConfigRulePaginator(c.config,
			&configservice.GetComplianceDetailsByConfigRuleInput{ConfigRuleName: aws.String(rule), Limit: compliancePage})
		for len(missing) > 0 && pages.HasMorePages() {
			var page *configservice.GetComplianceDetailsByConfigRuleOutput
			err := p.call(ctx, account, func() (err error) {
				page, err = pages.NextPage(ctx)
				return err
			})
			if err != nil {
				return nil, err
			}
			for _, r := range page.EvaluationResults {
				if res, ok := resultOf(rule, r); ok && missing[res.Instance] {
					delete(missing, res.Instance)
					out = append(out, res)
				}
			}
		}
	}
	return out, nil
}

// resultOf is one evaluation result as the remediation reads it.
func resultOf(rule string, r cstypes.EvaluationResult) (runbooks.ComplianceResult, bool) {
	if r.EvaluationResultIdentifier == nil || r.EvaluationResultIdentifier.EvaluationResultQualifier == nil {
		return runbooks.ComplianceResult{}, false
	}
	id := events.InstanceOf(aws.ToString(r.EvaluationResultIdentifier.EvaluationResultQualifier.ResourceId))
	if id == "" {
		return runbooks.ComplianceResult{}, false
	}
	return runbooks.ComplianceResult{Instance: id, Rule: rule, Compliance: string(r.ComplianceType),
		Recorded: aws.ToTime(r.ResultRecordedTime).UTC()}, true
}
