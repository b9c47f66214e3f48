package config

import (
	"reflect"
	"testing"
	"time"

	azuresettings "github.com/patchgate/patchgate/providers/azure/settings"
)

func TestAzureSection(t *testing.T) {
	t.Run("absent is disabled with defaults", func(t *testing.T) {
		c, err := Parse("t.yaml", []byte(minimal))
		if err != nil {
			t.Fatal(err)
		}
		if c.Providers.Azure.Enabled() || !reflect.DeepEqual(c.Providers.Azure, azureDefaults()) {
			t.Errorf("azure = %+v, want disabled defaults", c.Providers.Azure)
		}
	})
	t.Run("service principal with overrides", func(t *testing.T) {
		c, err := Parse("t.yaml", []byte(minimal+`
providers:
  simulate: [sensors, health, pager, access]
  azure:
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    client_id: 0b1c2d3e-aaaa-bbbb-cccc-111122223333
    client_secret: env:AZURE_CLIENT_SECRET
    endpoint: http://127.0.0.1:8443
    patch: {maximum_duration: 90m, reboot_setting: Never, classifications: [Critical]}
    concurrency_per_subscription: 4
    arc_backup: skip
`))
		if err != nil {
			t.Fatal(err)
		}
		a := c.Providers.Azure
		if !a.Enabled() || a.CredentialKind() != AzureClientSecret || a.ClientSecret != "env:AZURE_CLIENT_SECRET" {
			t.Errorf("azure = %+v", a)
		}
		want := azuresettings.Patch{MaximumDuration: 90 * time.Minute, RebootSetting: "Never", Classifications: []string{"Critical"}}
		if !reflect.DeepEqual(a.Patch, want) || a.ConcurrencyPerSubscription != 4 || a.ArcBackup != "skip" || a.Endpoint != "http://127.0.0.1:8443" {
			t.Errorf("azure = %+v", a)
		}
	})
	t.Run("default credential needs only the word", func(t *testing.T) {
		c, err := Parse("t.yaml", []byte(minimal+"providers: {simulate: [sensors, health, pager, access], azure: {credential: default}}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if !c.Providers.Azure.Enabled() || c.Providers.Azure.CredentialKind() != AzureDefault {
			t.Errorf("azure = %+v", c.Providers.Azure)
		}
	})
}
