package aws

import (
	"context"
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.BaselineChecker = (*Provider)(nil)

// CheckBaseline compares, read-only, the baseline SSM would apply to each
// patch group of an environment's AWS targets with the one declared for
// it: the preflight's baseline check, the same comparison StartPatch makes
// before it sends anything. A target with no instance yet is checked
// against the region's default baseline, which a new instance gets.
func (p *Provider) CheckBaseline(ctx context.Context, _ runbooks.Tenant, env runbooks.Environment) (string, error) {
	var found, blocked []string
	for _, tg := range env.Targets {
		if tg.Cloud != runbooks.AWS {
			continue
		}
		for _, region := range p.regions(tg) {
			c := p.clientsFor(tg.Account, region)
			groups, err := p.patchGroups(ctx, c, ec2Filters(tg.Selector), nil)
			if err != nil {
				return "", err
			}
			if len(groups) == 0 {
				groups = map[string][]string{"": nil}
			}
			f, err := p.checkBaseline(ctx, c, env.Name, groups)
			switch {
			case runbooks.ErrorCode(err) == runbooks.CodeBlocked:
				blocked = append(blocked, runbooks.ErrorMessage(err))
			case err != nil:
				return "", err
			default:
				found = append(found, f)
			}
		}
	}
	if len(blocked) > 0 {
		return "", runbooks.Errorf(runbooks.CodeBlocked, "%s", strings.Join(blocked, "; "))
	}
	if len(found) == 0 {
		return "", fmt.Errorf("environment %s has no AWS target", env.Name)
	}
	return strings.Join(found, "; "), nil
}
