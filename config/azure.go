package config

import (
	"gopkg.in/yaml.v3"

	azuresettings "github.com/patchgate/patchgate/providers/azure/settings"
)

// Azure configures the Azure provider: VMs and Arc-enabled servers patched
// through Azure Update Manager. Targets with cloud: azure use it when set.
type Azure struct {
	// Credential is AzureDefault (DefaultAzureCredential: managed identity,
	// workload identity, Azure CLI) or AzureClientSecret (a service
	// principal); empty picks client_secret when one is given.
	Credential   string
	TenantID     string
	ClientID     string
	ClientSecret Secret
	// Endpoint overrides the cloud's Resource Manager URL (a private
	// endpoint, a proxy, a local test server).
	Endpoint string
	// Settings are the provider's own keys with a default (cloud, patch,
	// concurrency_per_subscription, arc_backup, poll_interval,
	// assess_timeout), passed to it as they are.
	azuresettings.Settings
}

// Azure credential kinds.
const (
	AzureDefault      = "default"
	AzureClientSecret = "client_secret"
)

// Enabled reports whether the Azure provider is configured.
func (a Azure) Enabled() bool {
	return a.Credential != "" || (a.Cloud != "" && a.Cloud != "public") || a.TenantID != "" || a.ClientID != "" || !a.ClientSecret.IsZero() || a.Endpoint != ""
}

// CredentialKind is Credential, or what it defaults to.
func (a Azure) CredentialKind() string {
	switch {
	case a.Credential != "":
		return a.Credential
	case !a.ClientSecret.IsZero():
		return AzureClientSecret
	}
	return AzureDefault
}

// azureDefaults is the provider's own settings.Defaults.
func azureDefaults() Azure { return Azure{Settings: azuresettings.Defaults()} }

func (d *decoder) azure(a *Azure) func(*yaml.Node, string) {
	return d.section(
		field{"credential", "`default` (DefaultAzureCredential: workload identity, managed identity, CLI) or `client_secret` (a service principal).", d.str(&a.Credential)},
		field{"tenant_id", "Entra ID tenant of the service principal; required with `client_secret`.", d.str(&a.TenantID)},
		field{"client_id", "Application (client) ID of the service principal; required with `client_secret`.", d.str(&a.ClientID)},
		field{"client_secret", "The service principal's secret, as an `env:` or `file:` reference.", text(d, &a.ClientSecret)},
		field{"cloud", "`public`, `usgovernment` or `china`: sets the Entra ID authority and the Resource Manager audience.", d.str(&a.Cloud)},
		field{"endpoint", "Overrides only the Resource Manager URL (a private endpoint, or a test server on localhost).", d.str(&a.Endpoint)},
		field{"patch", "Parameters of installPatches on VMs and Arc machines.", d.section(
			field{"maximum_duration", "Longest an install may run (at most 4h).", d.duration(&a.Patch.MaximumDuration, "m")},
			field{"reboot_setting", "`IfRequired`, `Never` or `Always`.", d.str(&a.Patch.RebootSetting)},
			field{"classifications", "Patch classifications to install (e.g. Critical, Security); each OS family gets the ones it knows.", d.strs(&a.Patch.Classifications)},
		)},
		field{"concurrency_per_subscription", "Calls in flight per subscription, under ARM's throttling budget.", d.integer(&a.ConcurrencyPerSubscription)},
		field{"arc_backup", "Arc servers have no managed disk to snapshot: `finding` stops the backup gate for a decision, `skip` records the skip and goes on.", d.str(&a.ArcBackup)},
		field{"poll_interval", "Least time between two polls of one running install (ARM read budget).", d.duration(&a.PollInterval, "s")},
		field{"assess_timeout", "How long a post-patch assessment may run (verification polls it across engine steps) before the machine fails verification.", d.duration(&a.AssessTimeout, "m")},
	)
}
