package azure

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"

	"github.com/patchgate/patchgate/providers/azure/settings"
)

// clouds are the Azure clouds by their config name.
var clouds = map[string]cloud.Configuration{
	"public": cloud.AzurePublic, "usgovernment": cloud.AzureGovernment, "china": cloud.AzureChina,
}

// Config configures the provider. The zero values of the optional fields
// take the defaults below.
type Config struct {
	// Credential, when set, is used as is (tests, or a program with its own
	// identity). Otherwise ClientSecret selects a service principal
	// (TenantID, ClientID, ClientSecret) and its absence
	// DefaultAzureCredential (managed identity, workload identity, CLI).
	Credential                       azcore.TokenCredential
	TenantID, ClientID, ClientSecret string
	// Endpoint overrides the cloud's Resource Manager URL (a private
	// endpoint, a proxy, or a test server).
	Endpoint string
	// Settings are the keys of providers.azure with a default (the cloud,
	// installPatches' parameters, concurrency, Arc backups, polling): a
	// zero field takes settings.Defaults.
	settings.Settings
	// StepTimeout is the engine's step budget; the ARM clients' retries
	// and per-try timeout are derived from it (runbooks.StepBudget).
	StepTimeout time.Duration
	// Sensor is the Falcon sensor install through VM run commands
	// (sensor.go); zero: sensor deployments to Azure are refused.
	Sensor SensorInstall
	Now    func() time.Time // the clock; time.Now when nil
	Log    *slog.Logger
}

var errNoCredentialSettings = errors.New("client_secret needs tenant_id and client_id")

// withDefaults fills the optional fields from settings.Defaults and checks
// the rest.
func (c Config) withDefaults() (Config, error) {
	def := settings.Defaults()
	if c.Cloud == "" {
		c.Cloud = def.Cloud
	}
	if _, ok := clouds[c.Cloud]; !ok {
		return c, fmt.Errorf("cloud %q: want public, usgovernment or china", c.Cloud)
	}
	if c.Patch.MaximumDuration == 0 {
		c.Patch.MaximumDuration = def.Patch.MaximumDuration
	}
	if c.Patch.MaximumDuration < time.Minute || c.Patch.MaximumDuration > settings.MaxInstallDuration {
		return c, fmt.Errorf("maximum_duration %v: want 1m to %v", c.Patch.MaximumDuration, settings.MaxInstallDuration)
	}
	if c.Patch.RebootSetting == "" {
		c.Patch.RebootSetting = def.Patch.RebootSetting
	}
	if !slices.Contains(settings.RebootSettings, c.Patch.RebootSetting) {
		return c, fmt.Errorf("reboot_setting %q: want one of %s", c.Patch.RebootSetting, strings.Join(settings.RebootSettings, ", "))
	}
	if len(c.Patch.Classifications) == 0 {
		c.Patch.Classifications = def.Patch.Classifications
	}
	for _, k := range c.Patch.Classifications {
		if !slices.Contains(settings.LinuxClassifications, k) && !slices.Contains(settings.WindowsClassifications, k) {
			return c, fmt.Errorf("classification %q: not a Linux (%s) or Windows (%s) classification", k,
				strings.Join(settings.LinuxClassifications, ", "), strings.Join(settings.WindowsClassifications, ", "))
		}
	}
	if c.ConcurrencyPerSubscription == 0 {
		c.ConcurrencyPerSubscription = def.ConcurrencyPerSubscription
	}
	if c.ConcurrencyPerSubscription < 1 {
		return c, fmt.Errorf("concurrency_per_subscription %d: want at least 1", c.ConcurrencyPerSubscription)
	}
	if c.ArcBackup == "" {
		c.ArcBackup = def.ArcBackup
	}
	if !slices.Contains(settings.ArcBackups, c.ArcBackup) {
		return c, fmt.Errorf("arc_backup %q: want %s", c.ArcBackup, strings.Join(settings.ArcBackups, " or "))
	}
	if c.PollInterval <= 0 {
		c.PollInterval = def.PollInterval
	}
	if c.AssessTimeout <= 0 {
		c.AssessTimeout = def.AssessTimeout
	}
	if c.Credential == nil && c.ClientSecret != "" && (c.TenantID == "" || c.ClientID == "") {
		return c, errNoCredentialSettings
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c, nil
}
