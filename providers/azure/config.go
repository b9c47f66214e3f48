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
	// Cloud is public (default), usgovernment or china: where Entra ID and
	// Resource Manager are, and the token audience.
	Cloud string
	// Endpoint overrides the cloud's Resource Manager URL (a private
	// endpoint, a proxy, or a test server).
	Endpoint string

	// MaximumDuration bounds one installPatches (default 2h; Azure allows
	// at most 4h).
	MaximumDuration time.Duration
	// RebootSetting is IfRequired (default), Never or Always.
	RebootSetting string
	// Classifications to install (default Critical and Security); each
	// applies to the OS family that has it.
	Classifications []string
	// ConcurrencyPerSubscription bounds the ARM calls in flight per
	// subscription (default 8), well inside ARM's per-subscription
	// read/write budgets.
	ConcurrencyPerSubscription int
	// ArcBackup says what a backup does with an Arc-enabled server, which
	// has no Azure managed disk to snapshot: settings.ArcBackupFinding (default)
	// reports it so the backup gate fails until someone decides, and
	// settings.ArcBackupSkip records the skip and counts it done.
	ArcBackup string
	// PollInterval is the least time between two polls of one machine's
	// install or assessment (default 10s), which keeps a large fleet's
	// polling inside ARM's read budget.
	PollInterval time.Duration
	// AssessTimeout bounds how long a post-patch assessment may run before
	// the machine fails verification (default 30m).
	AssessTimeout time.Duration
	// StepTimeout is the engine's step budget; the ARM clients' retries
	// and per-try timeout are derived from it (runbooks.StepBudget).
	StepTimeout time.Duration
	Now         func() time.Time // the clock; time.Now when nil
	Log         *slog.Logger
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
	if c.MaximumDuration == 0 {
		c.MaximumDuration = def.Patch.MaximumDuration
	}
	if c.MaximumDuration < time.Minute || c.MaximumDuration > settings.MaxInstallDuration {
		return c, fmt.Errorf("maximum_duration %v: want 1m to %v", c.MaximumDuration, settings.MaxInstallDuration)
	}
	if c.RebootSetting == "" {
		c.RebootSetting = def.Patch.RebootSetting
	}
	if !slices.Contains(settings.RebootSettings, c.RebootSetting) {
		return c, fmt.Errorf("reboot_setting %q: want one of %s", c.RebootSetting, strings.Join(settings.RebootSettings, ", "))
	}
	if len(c.Classifications) == 0 {
		c.Classifications = def.Patch.Classifications
	}
	for _, k := range c.Classifications {
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
