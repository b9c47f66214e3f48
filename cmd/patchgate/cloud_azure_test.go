package main

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/config"
)

const azureMinimal = `
pipeline:
  - env: nonprod
    approvers: [U0AAAAAAA]
  - env: production
    approvers: [U0BBBBBBB, U0CCCCCCC]
`

func TestAzureCloud(t *testing.T) {
	parse := func(t *testing.T, y string) *config.Config {
		t.Helper()
		c, err := config.Parse("t.yaml", []byte(y))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	lookup := func(env map[string]string) config.Lookup {
		return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	}
	ctx := context.Background()

	if _, ok, err := azureCloud(ctx, parse(t, azureMinimal), wiring{}); ok || err != nil {
		t.Errorf("without providers.azure: ok %v, err %v; want not configured", ok, err)
	}

	sp := parse(t, azureMinimal+`
providers:
  # Simulated answers for real hosts: this test exercises the cloud wiring only.
  simulate: [sensors, health, pager, access]
  azure:
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    client_id: 0b1c2d3e-aaaa-bbbb-cccc-111122223333
    client_secret: env:AZURE_CLIENT_SECRET
`)
	c, ok, err := azureCloud(ctx, sp, wiring{lookup: lookup(map[string]string{"AZURE_CLIENT_SECRET": "x"})})
	if err != nil || !ok || c.Inventory == nil || c.Backups == nil || c.Patcher == nil {
		t.Fatalf("service principal: %+v, ok %v, err %v", c, ok, err)
	}
	_, _, err = azureCloud(ctx, sp, wiring{lookup: lookup(nil)})
	if err == nil || !strings.Contains(err.Error(), "providers.azure.client_secret") || !strings.Contains(err.Error(), "AZURE_CLIENT_SECRET") {
		t.Errorf("unset secret: err = %v, want it to name the field and the variable", err)
	}
}
