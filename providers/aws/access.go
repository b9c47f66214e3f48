package aws

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/patchgate/patchgate/runbooks"
)

// AccessReport is who holds which IAM Identity Center permission set on
// each of the tenant's AWS accounts, plus the identity patchgate itself
// acts as there (SOC 2 CC6.1 evidence).
func (p *Provider) AccessReport(ctx context.Context, tenant runbooks.Tenant) (runbooks.AccessReport, error) {
	r := runbooks.AccessReport{At: p.cfg.Clock.Now().UTC()}
	accounts := tenantAccounts(tenant)
	for _, a := range accounts {
		var out *sts.GetCallerIdentityOutput
		err := p.call(ctx, a, func() (err error) {
			out, err = p.stsClient(a).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		})
		if err != nil {
			return runbooks.AccessReport{}, fmt.Errorf("sts GetCallerIdentity in %s: %w", a, err)
		}
		r.Executors = append(r.Executors, runbooks.Executor{Cloud: runbooks.AWS, Account: a, Principal: aws.ToString(out.Arn), Source: "aws-sts"})
	}
	grants, err := p.identityCenterGrants(ctx, accounts)
	if err != nil {
		return runbooks.AccessReport{}, err
	}
	r.Grants = grants
	return r, nil
}

// tenantAccounts are the tenant's AWS accounts across all environments.
func tenantAccounts(t runbooks.Tenant) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range t.Environments {
		for _, tg := range e.Targets {
			if tg.Cloud == runbooks.AWS && !seen[tg.Account] {
				seen[tg.Account] = true
				out = append(out, tg.Account)
			}
		}
	}
	sort.Strings(out)
	return out
}
