package aws

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	ssotypes "github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"

	"github.com/patchgate/patchgate/runbooks"
)

// identityCenterKey bounds Identity Center calls like an account: they all
// go to the one management (or delegated admin) account.
const identityCenterKey = "identity-center"

// identityCenterGrants reads every account assignment of every permission
// set on accounts, naming principals through the identity store.
func (p *Provider) identityCenterGrants(ctx context.Context, accounts []string) ([]runbooks.AccessGrant, error) {
	sso, ids := p.ssoAdmin(), p.identityStore()
	instance, store, err := p.identityCenterInstance(ctx, sso)
	if err != nil {
		return nil, err
	}
	sets, err := p.permissionSets(ctx, sso, instance)
	if err != nil {
		return nil, err
	}
	names := principalNames{p: p, c: ids, store: store, cache: map[string]string{}}
	var out []runbooks.AccessGrant
	for _, account := range accounts {
		for _, ps := range sortedKeys(sets) {
			pages := ssoadmin.NewListAccountAssignmentsPaginator(sso, &ssoadmin.ListAccountAssignmentsInput{
				InstanceArn: aws.String(instance), AccountId: aws.String(account), PermissionSetArn: aws.String(ps)})
			guard := runbooks.PageGuard{Loop: fmt.Sprintf("sso-admin ListAccountAssignments %s on %s", sets[ps], account), Max: p.maxPages}
			for pages.HasMorePages() {
				var page *ssoadmin.ListAccountAssignmentsOutput
				err := p.call(ctx, identityCenterKey, func() (err error) { page, err = pages.NextPage(ctx); return err })
				if err != nil {
					return nil, fmt.Errorf("sso-admin ListAccountAssignments %s on %s: %w", sets[ps], account, err)
				}
				if err := guard.Next(aws.ToString(page.NextToken)); err != nil {
					return nil, err
				}
				for _, a := range page.AccountAssignments {
					name, err := names.get(ctx, a.PrincipalType, aws.ToString(a.PrincipalId))
					if err != nil {
						return nil, err
					}
					out = append(out, runbooks.AccessGrant{Cloud: runbooks.AWS, Account: account, Principal: name,
						PrincipalType: string(a.PrincipalType), PermissionSet: sets[ps], Source: "aws-identity-center"})
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.PermissionSet != b.PermissionSet {
			return a.PermissionSet < b.PermissionSet
		}
		return a.Principal < b.Principal
	})
	return out, nil
}

// identityCenterInstance is the configured instance, else the first one.
func (p *Provider) identityCenterInstance(ctx context.Context, sso *ssoadmin.Client) (string, string, error) {
	ic := p.cfg.IdentityCenter
	if ic.InstanceARN != "" && ic.IdentityStoreID != "" {
		return ic.InstanceARN, ic.IdentityStoreID, nil
	}
	var out *ssoadmin.ListInstancesOutput
	err := p.call(ctx, identityCenterKey, func() (err error) { out, err = sso.ListInstances(ctx, &ssoadmin.ListInstancesInput{}); return err })
	if err != nil {
		return "", "", fmt.Errorf("sso-admin ListInstances: %w", err)
	}
	for _, in := range out.Instances {
		if ic.InstanceARN == "" || aws.ToString(in.InstanceArn) == ic.InstanceARN {
			return aws.ToString(in.InstanceArn), aws.ToString(in.IdentityStoreId), nil
		}
	}
	return "", "", fmt.Errorf("sso-admin: no IAM Identity Center instance %q visible to the bot", ic.InstanceARN)
}

// permissionSets maps permission set ARN → name.
func (p *Provider) permissionSets(ctx context.Context, sso *ssoadmin.Client, instance string) (map[string]string, error) {
	out := map[string]string{}
	pages := ssoadmin.NewListPermissionSetsPaginator(sso, &ssoadmin.ListPermissionSetsInput{InstanceArn: aws.String(instance)})
	guard := runbooks.PageGuard{Loop: "sso-admin ListPermissionSets", Max: p.maxPages}
	for pages.HasMorePages() {
		var page *ssoadmin.ListPermissionSetsOutput
		err := p.call(ctx, identityCenterKey, func() (err error) { page, err = pages.NextPage(ctx); return err })
		if err != nil {
			return nil, fmt.Errorf("sso-admin ListPermissionSets: %w", err)
		}
		if err := guard.Next(aws.ToString(page.NextToken)); err != nil {
			return nil, err
		}
		for _, arn := range page.PermissionSets {
			var d *ssoadmin.DescribePermissionSetOutput
			err := p.call(ctx, identityCenterKey, func() (err error) {
				d, err = sso.DescribePermissionSet(ctx, &ssoadmin.DescribePermissionSetInput{InstanceArn: aws.String(instance), PermissionSetArn: aws.String(arn)})
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("sso-admin DescribePermissionSet %s: %w", arn, err)
			}
			out[arn] = aws.ToString(d.PermissionSet.Name)
		}
	}
	return out, nil
}

// principalNames resolves and caches user names and group display names.
type principalNames struct {
	p     *Provider
	c     *identitystore.Client
	store string
	cache map[string]string
}

func (n principalNames) get(ctx context.Context, kind ssotypes.PrincipalType, id string) (string, error) {
	if name, ok := n.cache[id]; ok {
		return name, nil
	}
	var name string
	err := n.p.call(ctx, identityCenterKey, func() error {
		if kind == ssotypes.PrincipalTypeGroup {
			g, err := n.c.DescribeGroup(ctx, &identitystore.DescribeGroupInput{IdentityStoreId: aws.String(n.store), GroupId: aws.String(id)})
			if err == nil {
				name = aws.ToString(g.DisplayName)
			}
			return err
		}
		u, err := n.c.DescribeUser(ctx, &identitystore.DescribeUserInput{IdentityStoreId: aws.String(n.store), UserId: aws.String(id)})
		if err == nil {
			name = aws.ToString(u.UserName)
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("identitystore describe %s %s: %w", kind, id, err)
	}
	n.cache[id] = name
	return name, nil
}
