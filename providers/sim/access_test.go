package sim

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

func TestAccessReportCoversEveryAccount(t *testing.T) {
	f := demoFleet(t, nil)
	ten := tenantNamed(t, f, "acme-cu")
	rep, err := f.AccessReport(context.Background(), ten)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.At.Equal(newClock().Now()) {
		t.Errorf("report at %s, want the fleet's clock", rep.At)
	}
	accounts := map[string]bool{}
	for _, env := range ten.Environments {
		for _, tg := range env.Targets {
			accounts[string(tg.Cloud)+"/"+tg.Account] = true
		}
	}
	executors := map[string]string{}
	for _, e := range rep.Executors {
		executors[string(e.Cloud)+"/"+e.Account] = e.Principal
	}
	if len(executors) != len(accounts) {
		t.Fatalf("%d executors for %d accounts", len(executors), len(accounts))
	}
	granted := map[string]int{}
	for _, g := range rep.Grants {
		k := string(g.Cloud) + "/" + g.Account
		if !accounts[k] {
			t.Errorf("grant in %s, which is not one of the tenant's accounts", k)
		}
		if g.Principal == "" || g.PermissionSet == "" || g.Source == "" || (g.PrincipalType != "USER" && g.PrincipalType != "GROUP") {
			t.Errorf("incomplete grant %+v", g)
		}
		granted[k]++
	}
	for k := range accounts {
		if granted[k] < 3 || executors[k] == "" {
			t.Errorf("%s: %d grants, executor %q", k, granted[k], executors[k])
		}
		if strings.HasPrefix(k, "aws/") && !strings.Contains(executors[k], ":assumed-role/patchgate-executor/") {
			t.Errorf("%s executor %q is not an assumed role", k, executors[k])
		}
	}
	again, err := demoFleet(t, nil).AccessReport(context.Background(), ten)
	if err != nil || !reflect.DeepEqual(again, rep) {
		t.Errorf("a second fleet answers differently: %v", err)
	}
}

func TestAccessReportRefusesUnknownTenantAndInjectsErrors(t *testing.T) {
	f := demoFleet(t, func(c *Config) { c.Faults.ErrorEvery = map[string]int{MethodAccessReport: 2} })
	_, err := f.AccessReport(context.Background(), runbooks.Tenant{Name: "nowhere-cu"})
	if runbooks.ErrorCode(err) != runbooks.CodeNotFound {
		t.Errorf("unknown tenant: %v", err)
	}
	if _, err := f.AccessReport(context.Background(), tenantNamed(t, f, "acme-cu")); !errors.Is(err, ErrInjected) {
		t.Errorf("second call: %v, want the injected error", err)
	}
}
