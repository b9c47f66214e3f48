package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// realCloudConfig is an AWS estate whose pipeline has sensor and health
// gates, with the given lines added under providers.
func realCloudConfig(providers string) string {
	return `store: {backend: bolt, bolt: {path: /tmp/unused.db}}
pipeline:
  - {env: nonprod, approvers: [U0ALICE001], sensor_gate: true}
  - {env: production, approvers: [U0ALICE001, U0BOB00002], min_approvals: 2, four_eyes: true, health_gate: true, sensor_gate: true}
tenants:
  - name: acme-cu
    environments:
      nonprod:
        targets: [{cloud: aws, account: "111111111111", regions: [us-east-1]}]
      production:
        targets: [{cloud: aws, account: "222222222222", regions: [us-east-1]}]
providers:
  kind: sim
` + providers + `  aws:
    role_name: "arn:aws:iam::{account}:role/patchgate"
    accounts: [{id: "111111111111"}, {id: "222222222222"}]
`
}

// validate runs `patchgate config validate` on yaml and returns its exit
// code and output.
func validate(t *testing.T, yaml string) (int, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "patchgate.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code := run(context.Background(), []string{"config", "validate", path}, &out, &out)
	return code, strings.ReplaceAll(out.String(), path, "patchgate.yaml")
}

func TestEvidenceSourceConfigValidateRefusesSimulatedGatesForRealHosts(t *testing.T) {
	code, out := validate(t, realCloudConfig(""))
	if code != 1 {
		t.Fatalf("exit %d, want 1 (refused):\n%s", code, out)
	}
	// The problem points at the aws section (line 14) and names each gate
	// and what to configure for it.
	for _, want := range []string{
		"patchgate.yaml:14: providers.simulate: with kind sim the simulation would answer for the hosts of providers.aws",
		"the sensor gate of nonprod, production (configure providers.falcon)",
		"the health gate of production (configure providers.dynatrace)",
		"the incidents of failed stages (configure providers.pagerduty)",
		"`providers.simulate: [sensors, health, pager]`",
		"not audit evidence",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "access report") {
		t.Errorf("providers.aws serves the access report, yet validate asks for it:\n%s", out)
	}

	// A partial opt-in still names what is left.
	code, out = validate(t, realCloudConfig("  simulate: [sensors]\n"))
	if code != 1 || strings.Contains(out, "sensor gate") || !strings.Contains(out, "the health gate of production") ||
		!strings.Contains(out, "`providers.simulate: [sensors, health, pager]`") {
		t.Errorf("simulate: [sensors]: exit %d, want 1 naming health and pager only:\n%s", code, out)
	}
}

func TestEvidenceSourceConfigValidateAcceptsAnExplicitOptIn(t *testing.T) {
	code, out := validate(t, realCloudConfig("  simulate: [sensors, health, pager]  # not audit evidence\n"))
	if code != 0 || !strings.Contains(out, "OK (1 tenants") {
		t.Fatalf("with the opt-in: exit %d, want 0:\n%s", code, out)
	}
	// Real services for each gate need no opt-in at all.
	code, out = validate(t, realCloudConfig(`  falcon: {client_id: "env:FALCON_ID", client_secret: "env:FALCON_SECRET"}
  dynatrace: {url: "https://abc.live.dynatrace.com", token: "env:DT_TOKEN", selectors: {production: "type(HOST)"}}
  pagerduty: {routing_key: "env:PD_KEY"}
`))
	if code != 0 {
		t.Fatalf("with Falcon, Dynatrace and PagerDuty: exit %d, want 0:\n%s", code, out)
	}
}

func TestEvidenceSourceConfigValidateRefusesMisusedOptIns(t *testing.T) {
	for _, tc := range []struct{ name, providers, want string }{
		{"unknown part", "  simulate: [sensors, health, pager, inventory]\n",
			`providers.simulate[3]: "inventory" is not a part the simulation can answer`},
		{"a part a real service answers", "  simulate: [sensors, health, pager, access]\n",
			"providers.simulate: lists access, but providers.aws is configured and answers it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := validate(t, realCloudConfig(tc.providers))
			if code != 1 || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, want 1 with %q:\n%s", code, tc.want, out)
			}
		})
	}
	cloud := strings.Replace(realCloudConfig("  simulate: [sensors]\n"), "kind: sim", "kind: cloud", 1)
	if code, out := validate(t, cloud); code != 1 || !strings.Contains(out, "providers.simulate: kind cloud simulates nothing") {
		t.Errorf("kind cloud with simulate: exit %d, want 1:\n%s", code, out)
	}
}
