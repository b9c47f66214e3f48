package sim

import (
	"context"
	"fmt"
	"sort"

	"github.com/patchgate/patchgate/runbooks"
)

// MethodAccessReport is the access report call, for Faults and Stats.
const MethodAccessReport = "AccessReport"

var _ runbooks.Access = (*Fleet)(nil)

// accessRole is one kind of standing access the simulated identity
// providers grant in every account of a tenant.
type accessRole struct {
	principal     string // with %s for the tenant
	principalType string
	permission    map[runbooks.Cloud]string
	prodOnly      bool // granted only in the production environment's accounts
}

// accessRoles mirror what a bank's landing zone usually grants: an admin
// group, the SRE group that patches, read-only auditors, and a break-glass
// user kept to production.
var accessRoles = []accessRole{
	{"%s-platform-admins", "GROUP", map[runbooks.Cloud]string{
		runbooks.AWS: "AdministratorAccess", runbooks.Azure: "Owner", runbooks.GCP: "roles/owner"}, false},
	{"%s-sre", "GROUP", map[runbooks.Cloud]string{
		runbooks.AWS: "PatchOperator", runbooks.Azure: "Virtual Machine Contributor", runbooks.GCP: "roles/osconfig.patchJobExecutor"}, false},
	{"%s-auditors", "GROUP", map[runbooks.Cloud]string{
		runbooks.AWS: "SecurityAudit", runbooks.Azure: "Reader", runbooks.GCP: "roles/iam.securityReviewer"}, false},
	{"breakglass@%s", "USER", map[runbooks.Cloud]string{
		runbooks.AWS: "AdministratorAccess", runbooks.Azure: "Owner", runbooks.GCP: "roles/owner"}, true},
}

// AccessReport lists who holds standing access to each account the tenant's
// environments are made of, and the identity patchgate acts as in each. The
// answer is a function of the configuration alone, so it is the same in
// every run; the time is the fleet's clock.
func (f *Fleet) AccessReport(ctx context.Context, tenant runbooks.Tenant) (runbooks.AccessReport, error) {
	var rep runbooks.AccessReport
	err := f.call(ctx, MethodAccessReport, func(int) error {
		var t *runbooks.Tenant
		for i := range f.cfg.Tenants {
			if f.cfg.Tenants[i].Name == tenant.Name {
				t = &f.cfg.Tenants[i]
			}
		}
		if t == nil {
			return runbooks.Errorf(runbooks.CodeNotFound, "sim: no tenant %q in the simulated fleet", tenant.Name)
		}
		rep = accessOf(*t, f.cfg.Pipeline)
		rep.At = f.now().UTC()
		return nil
	})
	return rep, err
}

type cloudAccount struct {
	cloud   runbooks.Cloud
	account string
}

func accessOf(t runbooks.Tenant, pipeline runbooks.Pipeline) runbooks.AccessReport {
	prod := map[cloudAccount]bool{}
	seen := map[cloudAccount]bool{}
	var accounts []cloudAccount
	for _, env := range t.Environments {
		for _, tg := range env.Targets {
			k := cloudAccount{tg.Cloud, tg.Account}
			if spec, ok := pipeline.Spec(env.Name); ok && spec.Production {
				prod[k] = true
			}
			if !seen[k] {
				seen[k] = true
				accounts = append(accounts, k)
			}
		}
	}
	sort.Slice(accounts, func(i, j int) bool {
		if accounts[i].cloud != accounts[j].cloud {
			return accounts[i].cloud < accounts[j].cloud
		}
		return accounts[i].account < accounts[j].account
	})
	var rep runbooks.AccessReport
	for _, a := range accounts {
		for _, r := range accessRoles {
			if r.prodOnly && !prod[a] {
				continue
			}
			rep.Grants = append(rep.Grants, runbooks.AccessGrant{Cloud: a.cloud, Account: a.account,
				Principal: fmt.Sprintf(r.principal, t.Name), PrincipalType: r.principalType,
				PermissionSet: r.permission[a.cloud], Source: runbooks.SourceSimulation})
		}
		rep.Executors = append(rep.Executors, runbooks.Executor{Cloud: a.cloud, Account: a.account, Principal: executorOf(a), Source: runbooks.SourceSimulation})
	}
	return rep
}

// executorOf is the identity patchgate assumes in an account.
func executorOf(a cloudAccount) string {
	switch a.cloud {
	case runbooks.AWS:
		return "arn:aws:sts::" + a.account + ":assumed-role/patchgate-executor/patchgate"
	case runbooks.Azure:
		return "patchgate-executor (managed identity) in subscription " + a.account
	case runbooks.GCP:
		return "patchgate-executor@" + a.account + ".iam.gserviceaccount.com"
	}
	return "patchgate-executor in " + a.account
}
