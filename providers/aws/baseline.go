package aws

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/patchgate/patchgate/runbooks"
)

// checkBaseline compares the patch baseline SSM will apply to each patch
// group among instances (their PatchGroup tag; untagged instances get the
// region's default baseline) with the baseline declared for env. A missing
// or different baseline blocks patching: AWS-RunPatchBaseline would install
// whatever the registered baseline approves, which is not what the change
// was approved for. It returns what it found, for the doctor's row.
func (p *Provider) checkBaseline(ctx context.Context, c *regional, env string, groups map[string][]string) (string, error) {
	want := p.declared(env)
	where := fmt.Sprintf("account %s %s", c.account, c.region)
	var found, problems []string
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		ids := groups[g]
		if want.PatchGroup != "" && g != want.PatchGroup {
			problems = append(problems, fmt.Sprintf("%s declares patch group %q but %s %s %s",
				envName(env), want.PatchGroup, count(len(ids), "instance"), sample(ids), inGroup(g)))
			continue
		}
		id, err := p.baselineID(ctx, c, g, want.OperatingSystem)
		if err != nil {
			return "", err
		}
		if id == "" {
			problems = append(problems, fmt.Sprintf("no %s in %s for %s: register one matching the declared baseline (%s)",
				groupBaseline(g, want.OperatingSystem), where, count(len(ids), "instance"), describeBaseline(want)))
			continue
		}
		var got *ssm.GetPatchBaselineOutput
		err = p.call(ctx, c.account, func() (err error) {
			got, err = c.ssm.GetPatchBaseline(ctx, &ssm.GetPatchBaselineInput{BaselineId: aws.String(id)})
			return err
		})
		var nf *ssmtypes.DoesNotExistException
		if errors.As(err, &nf) {
			problems = append(problems, fmt.Sprintf("patch baseline %s named for %s in %s does not exist", id, groupBaseline(g, want.OperatingSystem), where))
			continue
		}
		if err != nil {
			return "", fmt.Errorf("ssm GetPatchBaseline %s in %s: %w", id, where, err)
		}
		if diff := baselineDiff(want, got); diff != "" {
			problems = append(problems, fmt.Sprintf("%s in %s is %s, which differs from the declared baseline of %s: %s",
				groupBaseline(g, want.OperatingSystem), where, id, envName(env), diff))
			continue
		}
		if len(ids) == 0 {
			found = append(found, fmt.Sprintf("%s: %s (%s; no instance matches yet)", where, id, groupBaseline(g, want.OperatingSystem)))
			continue
		}
		found = append(found, fmt.Sprintf("%s: %s for %s", where, id, count(len(ids), "instance")+" "+inGroup(g)))
	}
	if len(problems) > 0 {
		return "", runbooks.Errorf(runbooks.CodeBlocked, "%s", strings.Join(problems, "; "))
	}
	return strings.Join(found, "; "), nil
}

// declared is the baseline declared for env: its own entry, else the
// provider-wide one.
func (p *Provider) declared(env string) Baseline {
	if b, ok := p.cfg.Patch.Baselines[env]; ok {
		return b
	}
	return p.cfg.Patch.Baseline
}

// patchGroupTags are the tag keys SSM reads an instance's patch group from.
var patchGroupTags = []string{"PatchGroup", "Patch Group"}

// patchGroups reads the patch group of each instance matched by filters
// (ids, when set, narrows the answer to those instances): group → instance
// IDs, "" for instances without a patch group tag.
func (p *Provider) patchGroups(ctx context.Context, c *regional, filters []ec2types.Filter, ids []string) (map[string][]string, error) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	if len(ids) > 0 {
		filters = append(slices.Clone(filters), ec2types.Filter{Name: aws.String("instance-id"), Values: ids})
	}
	out := map[string][]string{}
	pages := ec2.NewDescribeInstancesPaginator(c.ec2, &ec2.DescribeInstancesInput{Filters: filters, MaxResults: aws.Int32(ec2PageSize)})
	guard := runbooks.PageGuard{Loop: fmt.Sprintf("ec2 DescribeInstances (patch group tags) in %s/%s", c.account, c.region), Max: p.maxPages}
	for pages.HasMorePages() {
		var page *ec2.DescribeInstancesOutput
		err := p.call(ctx, c.account, func() (err error) {
			page, err = pages.NextPage(ctx)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("ec2 DescribeInstances (patch group tags) in %s/%s: %w", c.account, c.region, err)
		}
		if err := guard.Next(aws.ToString(page.NextToken)); err != nil {
			return nil, err
		}
		for _, r := range page.Reservations {
			for _, i := range r.Instances {
				id := aws.ToString(i.InstanceId)
				if len(want) > 0 && !want[id] {
					continue
				}
				delete(want, id)
				g := instanceGroup(i.Tags)
				out[g] = append(out[g], id)
			}
		}
	}
	// Hosts EC2 no longer lists are checked against the default baseline,
	// which is what SSM would apply to them.
	if len(want) > 0 {
		out[""] = append(out[""], slices.Sorted(maps.Keys(want))...)
	}
	return out, nil
}

func instanceGroup(tags []ec2types.Tag) string {
	for _, k := range patchGroupTags {
		for _, t := range tags {
			if aws.ToString(t.Key) == k {
				return aws.ToString(t.Value)
			}
		}
	}
	return ""
}

// baselineID is the baseline registered for patch group g, or the region's
// default baseline for os when g is empty; "" when there is none.
func (p *Provider) baselineID(ctx context.Context, c *regional, g, os string) (string, error) {
	var id *string
	err := p.call(ctx, c.account, func() error {
		if g == "" {
			out, err := c.ssm.GetDefaultPatchBaseline(ctx, &ssm.GetDefaultPatchBaselineInput{
				OperatingSystem: ssmtypes.OperatingSystem(os)})
			if err == nil {
				id = out.BaselineId
			}
			return err
		}
		out, err := c.ssm.GetPatchBaselineForPatchGroup(ctx, &ssm.GetPatchBaselineForPatchGroupInput{
			PatchGroup: aws.String(g), OperatingSystem: ssmtypes.OperatingSystem(os)})
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
		return "", fmt.Errorf("ssm find the %s in %s/%s: %w", groupBaseline(g, os), c.account, c.region, err)
	}
	return aws.ToString(id), nil
}

func groupBaseline(g, os string) string {
	if g == "" {
		return "default patch baseline for " + os
	}
	return fmt.Sprintf("patch baseline for patch group %q (%s)", g, os)
}

func inGroup(g string) string {
	if g == "" {
		return "without a PatchGroup tag (default baseline)"
	}
	return fmt.Sprintf("in patch group %q", g)
}

func envName(env string) string {
	if env == "" {
		return "the provider"
	}
	return "environment " + env
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// sample names up to three instances, so a row stays readable.
func sample(ids []string) string {
	if len(ids) <= 3 {
		return "(" + strings.Join(ids, ", ") + ")"
	}
	return fmt.Sprintf("(%s, … %d more)", strings.Join(ids[:3], ", "), len(ids)-3)
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
