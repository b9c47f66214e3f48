package test

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"google.golang.org/api/option"

	awsprovider "github.com/patchgate/patchgate/providers/aws"
	"github.com/patchgate/patchgate/providers/azure"
	"github.com/patchgate/patchgate/providers/azure/azuretest"
	"github.com/patchgate/patchgate/providers/dynatrace"
	"github.com/patchgate/patchgate/providers/falcon"
	"github.com/patchgate/patchgate/providers/gcp"
	"github.com/patchgate/patchgate/providers/pagerduty"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// cloudTenant is a tenant whose environments are all in one cloud.
func cloudTenant(name string, tg runbooks.Target) runbooks.Tenant {
	env := func(e string) runbooks.Environment {
		return runbooks.Environment{Name: e, Targets: []runbooks.Target{tg}}
	}
	return runbooks.Tenant{Name: name, Environments: []runbooks.Environment{env("nonprod"), env("staging"), env("production")}}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestStepBudgetAWS(t *testing.T) {
	runStepBudget(t, budgetPeer{name: "aws", retries: true, stage: "preflight", phase: runbooks.PhaseInventory,
		tenant: cloudTenant("harbor-cu", runbooks.Target{Cloud: runbooks.AWS, Account: "123456789012",
			Regions: []string{"eu-west-1"}, Selector: map[string]string{"PatchGroup": "web"}}),
		names: regexp.MustCompile(`aws (ec2|ssm) Describe\w+ \(account 123456789012, eu-west-1\)`),
		wire: func(t *testing.T, peer hostile, d *runbooks.Deps) {
			eps := map[string]string{}
			for _, s := range []string{"ec2", "ssm", "sts", "rds"} {
				eps[s] = peer.URL
			}
			p, err := awsprovider.New(context.Background(), awsprovider.Config{Region: "eu-west-1", Endpoints: eps,
				Credentials: credentials.NewStaticCredentialsProvider("AKFAKEBOT", "secret", ""),
				StepTimeout: budgetStep, MaxAttempts: 3, Log: quiet})
			if err != nil {
				t.Fatal(err)
			}
			d.Inventory = p
		}})
}

func TestStepBudgetAzure(t *testing.T) {
	runStepBudget(t, budgetPeer{name: "azure", retries: true, stage: "preflight", phase: runbooks.PhaseInventory,
		tenant: cloudTenant("contoso-cu", runbooks.Target{Cloud: runbooks.Azure, Account: azureSub,
			Groups: []string{"rg-web"}, Selector: map[string]string{"patch-group": "web"}}),
		names: regexp.MustCompile(`azure \w+ GET \w+.* \(subscription ` + azureSub + `\)`),
		wire: func(t *testing.T, peer hostile, d *runbooks.Deps) {
			p, err := azure.New(azure.Config{Credential: azuretest.Credential{}, Endpoint: peer.URL,
				StepTimeout: budgetStep, Log: quiet})
			if err != nil {
				t.Fatal(err)
			}
			d.Inventory = p
		}})
}

func TestStepBudgetGCP(t *testing.T) {
	runStepBudget(t, budgetPeer{name: "gcp", retries: true, stage: "preflight", phase: runbooks.PhaseInventory,
		tenant: cloudTenant("cascade-cu", runbooks.Target{Cloud: runbooks.GCP, Account: "cascade-prod",
			Regions: []string{"us-central1"}, Selector: map[string]string{"patch-group": "web"}}),
		names: regexp.MustCompile(`gcp (compute|osconfig) GET \w+ \(project cascade-prod`),
		wire: func(t *testing.T, peer hostile, d *runbooks.Deps) {
			p, err := gcp.New(context.Background(), gcp.Config{ComputeEndpoint: peer.URL + "/compute/v1/",
				OSConfigEndpoint: peer.URL + "/", Options: []option.ClientOption{option.WithoutAuthentication()},
				StepTimeout: budgetStep, Log: quiet})
			if err != nil {
				t.Fatal(err)
			}
			d.Inventory = p
		}})
}

func TestStepBudgetFalcon(t *testing.T) {
	runStepBudget(t, budgetPeer{name: "falcon", tls: true, stage: "nonprod", phase: runbooks.PhaseSensors,
		tenant: gateTenant(),
		names:  regexp.MustCompile(`falcon devices (GET|POST) /devices/`),
		wire: func(t *testing.T, peer hostile, d *runbooks.Deps) {
			c, err := falcon.New(falcon.Config{AccessToken: "falcon-test-token", HostOverride: peer.Addr,
				HTTPClient:  &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}},
				StepTimeout: budgetStep, Log: quiet})
			if err != nil {
				t.Fatal(err)
			}
			d.Sensors = c
		}})
}

func TestStepBudgetDynatrace(t *testing.T) {
	tn := gateTenant()
	runStepBudget(t, budgetPeer{name: "dynatrace", stage: "production", phase: runbooks.PhaseHealth, tenant: tn,
		names: regexp.MustCompile(`dynatrace problems GET /api/v2/problems \(environment 127\.0\.0\.1:\d+\)`),
		wire: func(t *testing.T, peer hostile, d *runbooks.Deps) {
			c, err := dynatrace.New(dynatrace.Config{BaseURL: peer.URL, Token: "dt0c01.BUDGET.SECRET",
				Selectors: map[string]string{"production": `type("HOST")`}, StepTimeout: budgetStep, Log: quiet})
			if err != nil {
				t.Fatal(err)
			}
			d.Health = c
		}})
}

func TestStepBudgetPagerDuty(t *testing.T) {
	tn := gateTenant()
	runStepBudget(t, budgetPeer{name: "pagerduty", stage: "nonprod", phase: runbooks.PhasePatch, tenant: tn, pager: true,
		faults: func(tn string) sim.Faults { return sim.Faults{PatchFail: []string{hostName(tn, "nonprod", "app-01")}} },
		names:  regexp.MustCompile(`pagerduty events enqueue trigger`),
		wire: func(t *testing.T, peer hostile, d *runbooks.Deps) {
			c, err := pagerduty.New(pagerduty.Config{RoutingKey: pdRoutingKey, EventsURL: peer.URL,
				StepTimeout: budgetStep, Log: quiet})
			if err != nil {
				t.Fatal(err)
			}
			d.Pager = c
		}})
}
