package sim

import (
	"context"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

// TestAccessReportProductionByTierFlag: the break-glass grant kept to
// production follows the tier flag, so a pipeline whose production tier is
// called prod gets it in prod's account and nowhere else.
func TestAccessReportProductionByTierFlag(t *testing.T) {
	tenant := runbooks.Tenant{Name: "acme"}
	for i, env := range []string{"dev", "uat", "prod"} {
		tenant.Environments = append(tenant.Environments, runbooks.Environment{Name: env,
			Targets: []runbooks.Target{{Cloud: runbooks.AWS, Account: string(rune('1'+i)) + "00000000000", Regions: []string{"us-east-1"}}}})
	}
	f, err := New(Config{Seed: 1, Tenants: []runbooks.Tenant{tenant}, Pipeline: runbooks.Pipeline{
		{Env: "dev", MinApprovals: 1}, {Env: "uat", MinApprovals: 1, Staging: true},
		{Env: "prod", MinApprovals: 2, FourEyes: true, Production: true}}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := f.AccessReport(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	breakglass := map[string]bool{}
	for _, g := range rep.Grants {
		if g.Principal == "breakglass@acme" {
			breakglass[g.Account] = true
		}
	}
	if len(breakglass) != 1 || !breakglass["300000000000"] {
		t.Errorf("break-glass grants in accounts %v, want only prod's (300000000000)", breakglass)
	}
}
