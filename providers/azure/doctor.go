package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/patchgate/patchgate/doctor"
)

// Checks are the read-only probes `patchgate doctor` runs against Azure:
// a Resource Manager token from the configured credential, then per
// subscription one read (the first page of its virtual machines), which
// fails with 403 when the identity has no role there.
func (p *Provider) Checks(subscriptions []string) []doctor.Check {
	subs := slices.Clone(subscriptions)
	slices.Sort(subs)
	checks := []doctor.Check{p.tokenCheck()}
	for _, s := range slices.Compact(subs) {
		checks = append(checks, p.subscriptionCheck(s))
	}
	return checks
}

func (p *Provider) tokenCheck() doctor.Check {
	rm := p.opts.Cloud.Services[cloud.ResourceManager]
	return doctor.Check{Name: "azure: token", Run: func(ctx context.Context) (string, error) {
		tok, err := p.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{rm.Audience + "/.default"}})
		if err != nil {
			return "", doctor.Fix(fmt.Errorf("azure token for %s: %w", rm.Audience, err),
				"check providers.azure credential (the pod's workload or managed identity, or tenant_id, client_id and client_secret) and providers.azure.cloud")
		}
		return fmt.Sprintf("token for %s valid until %s", rm.Audience, tok.ExpiresOn.UTC().Format("15:04Z")), nil
	}}
}

func (p *Provider) subscriptionCheck(sub string) doctor.Check {
	return doctor.Check{Name: "azure subscription " + sub + ": read", Run: func(ctx context.Context) (string, error) {
		c, err := p.sub(sub)
		if err != nil {
			return "", doctor.Fix(err, "check the subscription ID in the azure targets")
		}
		page, err := c.vms.NewListAllPager(nil).NextPage(ctx)
		var re *azcore.ResponseError
		switch {
		case errors.As(err, &re) && (re.StatusCode == http.StatusForbidden || re.StatusCode == http.StatusUnauthorized):
			return "", doctor.Fix(fmt.Errorf("list virtual machines in subscription %s: %s", sub, reason(err)),
				fmt.Sprintf("assign patchgate's identity a role on subscription %s that can read and patch machines (e.g. Virtual Machine Contributor, Azure Connected Machine Resource Administrator)", sub))
		case err != nil:
			return "", doctor.Fix(fmt.Errorf("list virtual machines in subscription %s: %s", sub, reason(err)),
				"check the subscription ID and that Resource Manager (providers.azure.endpoint) is reachable from here")
		}
		more := ""
		if page.NextLink != nil {
			more = " (more pages)"
		}
		return fmt.Sprintf("%d virtual machine(s) on the first page%s", len(page.Value), more), nil
	}}
}
