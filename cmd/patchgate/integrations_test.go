package main

import (
	"strings"
	"testing"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/dynatrace"
	"github.com/patchgate/patchgate/providers/falcon"
	"github.com/patchgate/patchgate/providers/pagerduty"
)

const integrationsYAML = `pipeline:
  - {env: nonprod, approvers: [U0ALICE001], min_approvals: 1}
  - {env: production, approvers: [U0ALICE001, U0BOB00002], min_approvals: 2, four_eyes: true, health_gate: true}
tenants:
  - name: acme-cu
    environments:
      production:
        targets:
          - {cloud: aws, account: "111111111111", regions: [us-east-1]}
providers:
  falcon:
    client_id: env:FALCON_ID
    client_secret: env:FALCON_SECRET
    overrides:
      - {os: rhel7, kernel: ">3.10.0-1160", sensor: "6.x", supported: false, reason: "sensor 6.x lacks RHEL 7 kernels past 1160"}
  pagerduty: {routing_key: env:PD_KEY, events_url: "http://127.0.0.1:1"}
  dynatrace:
    url: https://abc123.live.dynatrace.com
    token: env:DT_TOKEN
    selectors: {production: 'type("HOST")'}
`

// TestIntegrationsReplaceTheSimulation: configured PagerDuty and Dynatrace
// become the engine's pager, change-event sink and health check; a missing
// secret is an error naming the field, never the value.
func TestIntegrationsReplaceTheSimulation(t *testing.T) {
	cfg, err := config.Parse("t.yaml", []byte(integrationsYAML))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PD_KEY": "R0-secret-routing-key", "DT_TOKEN": "dt0c01.secret", "FALCON_ID": "id", "FALCON_SECRET": "falcon-secret"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	deps, err := integrations(cfg, wiring{lookup: lookup})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := deps.Pager.(*pagerduty.Client); !ok {
		t.Errorf("pager is %T, want the PagerDuty client", deps.Pager)
	}
	if _, ok := deps.Changes.(*pagerduty.Client); !ok {
		t.Errorf("change events go to %T, want the PagerDuty client", deps.Changes)
	}
	if _, ok := deps.Sensors.(*falcon.Client); !ok {
		t.Errorf("sensors are %T, want the Falcon client", deps.Sensors)
	}
	if _, ok := deps.Health.(*dynatrace.Client); !ok {
		t.Errorf("health is %T, want the Dynatrace client", deps.Health)
	}

	delete(env, "DT_TOKEN")
	_, err = integrations(cfg, wiring{lookup: lookup})
	if err == nil || !strings.Contains(err.Error(), "providers.dynatrace.token") || strings.Contains(err.Error(), "R0-secret") {
		t.Errorf("missing token: %v", err)
	}
}
