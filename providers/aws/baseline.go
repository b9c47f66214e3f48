package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/patchgate/patchgate/runbooks"
)

// checkBaseline compares the patch baseline SSM would apply in one account
// and region with the declared one. A missing or different baseline blocks
// patching: AWS-RunPatchBaseline would install whatever the registered
// baseline approves, which is not what the change was approved for.
func (p *Provider) checkBaseline(ctx context.Context, c *regional) error {
	want := p.cfg.Patch.Baseline
	where := fmt.Sprintf("account %s %s", c.account, c.region)
	id, err := p.baselineID(ctx, c)
	if err != nil {
		return err
	}
	if id == "" {
		return runbooks.Errorf(runbooks.CodeBlocked, "no patch baseline for patch group %q (%s) in %s: register one matching the declared baseline (%s)",
			want.PatchGroup, want.OperatingSystem, where, describeBaseline(want))
	}
	var got *ssm.GetPatchBaselineOutput
	err = p.call(ctx, c.account, func() (err error) {
		got, err = c.ssm.GetPatchBaseline(ctx, &ssm.GetPatchBaselineInput{BaselineId: aws.String(id)})
		return err
	})
	var nf *ssmtypes.DoesNotExistException
	if errors.As(err, &nf) {
		return runbooks.Errorf(runbooks.CodeBlocked, "patch baseline %s named for %s does not exist", id, where)
	}
	if err != nil {
		return fmt.Errorf("ssm GetPatchBaseline %s in %s: %w", id, where, err)
	}
	if diff := baselineDiff(want, got); diff != "" {
		return runbooks.Errorf(runbooks.CodeBlocked, "patch baseline %s in %s differs from the declared baseline: %s", id, where, diff)
	}
	return nil
}

// baselineID is the baseline of the configured patch group, or the
// region's default baseline for the operating system.
func (p *Provider) baselineID(ctx context.Context, c *regional) (string, error) {
	b := p.cfg.Patch.Baseline
	var id *string
	err := p.call(ctx, c.account, func() error {
		if b.PatchGroup == "" {
			out, err := c.ssm.GetDefaultPatchBaseline(ctx, &ssm.GetDefaultPatchBaselineInput{
				OperatingSystem: ssmtypes.OperatingSystem(b.OperatingSystem)})
			if err == nil {
				id = out.BaselineId
			}
			return err
		}
		out, err := c.ssm.GetPatchBaselineForPatchGroup(ctx, &ssm.GetPatchBaselineForPatchGroupInput{
			PatchGroup: aws.String(b.PatchGroup), OperatingSystem: ssmtypes.OperatingSystem(b.OperatingSystem)})
		if err == nil {
			id = out.BaselineId
		}
		return err
	})
	var nf *ssmtypes.DoesNotExistException
	if errors.As(err, &nf) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("ssm find the patch baseline of %q in %s/%s: %w", b.PatchGroup, c.account, c.region, err)
	}
	return aws.ToString(id), nil
}

// baselineDiff names every way got differs from want; "" when it matches.
// Any one approval rule may match (a baseline can have several).
func baselineDiff(want Baseline, got *ssm.GetPatchBaselineOutput) string {
	var diffs []string
	if string(got.OperatingSystem) != want.OperatingSystem {
		diffs = append(diffs, fmt.Sprintf("operating system %s, declared %s", got.OperatingSystem, want.OperatingSystem))
	}
	var rules []ssmtypes.PatchRule
	if got.ApprovalRules != nil {
		rules = got.ApprovalRules.PatchRules
	}
	if len(rules) == 0 {
		diffs = append(diffs, "no approval rules, declared "+describeBaseline(want))
		return strings.Join(diffs, "; ")
	}
	best := []string(nil)
	for _, r := range rules {
		d := ruleDiff(want, r)
		if len(d) == 0 {
			best = nil
			break
		}
		if best == nil || len(d) < len(best) {
			best = d
		}
	}
	return strings.Join(append(diffs, best...), "; ")
}

func ruleDiff(want Baseline, r ssmtypes.PatchRule) []string {
	var d []string
	sev, class := filterValues(r, ssmtypes.PatchFilterKeySeverity), filterValues(r, ssmtypes.PatchFilterKeyClassification)
	if !sameSet(sev, want.Severities) {
		d = append(d, fmt.Sprintf("severity filter %s, declared %s", list(sev), list(want.Severities)))
	}
	if !sameSet(class, want.Classifications) {
		d = append(d, fmt.Sprintf("classification filter %s, declared %s", list(class), list(want.Classifications)))
	}
	if days := aws.ToInt32(r.ApproveAfterDays); int(days) != want.ApproveAfterDays {
		d = append(d, fmt.Sprintf("approve after %d days, declared %d", days, want.ApproveAfterDays))
	}
	return d
}

func filterValues(r ssmtypes.PatchRule, key ssmtypes.PatchFilterKey) []string {
	if r.PatchFilterGroup == nil {
		return nil
	}
	for _, f := range r.PatchFilterGroup.PatchFilters {
		if f.Key == key {
			return f.Values
		}
	}
	return nil
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

func list(vs []string) string {
	if len(vs) == 0 {
		return "(none)"
	}
	return strings.Join(vs, "+")
}

func describeBaseline(b Baseline) string {
	return fmt.Sprintf("%s, severity %s, classification %s, approve after %d days",
		b.OperatingSystem, list(b.Severities), list(b.Classifications), b.ApproveAfterDays)
}
