package config

import (
	"time"

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
	// Cloud is public (default), usgovernment or china.
	Cloud string
	// Endpoint overrides the cloud's Resource Manager URL (a private
	// endpoint, a proxy, a local test server).
	Endpoint string
	Patch    AzurePatch
	// ConcurrencyPerSubscription bounds ARM calls in flight per
	// subscription, inside ARM's per-subscription budgets.
	ConcurrencyPerSubscription int
	// ArcBackup is what a backup does with an Arc server, which has no
	// managed disk: finding (the backup gate stops) or skip (recorded).
	ArcBackup string
	// PollInterval is the least time between two polls of one machine's
	// install or assessment.
	PollInterval time.Duration
	// AssessTimeout bounds a post-patch assessment before the machine
	// fails verification.
	AssessTimeout time.Duration
}

// AzurePatch is what installPatches is asked for.
type AzurePatch struct {
	MaximumDuration time.Duration // at most 4h
	RebootSetting   string        // IfRequired, Never or Always
	Classifications []string      // e.g. Critical, Security
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
func azureDefaults() Azure {
	def := azuresettings.Defaults()
	return Azure{
		Cloud: def.Cloud,
		Patch: AzurePatch{MaximumDuration: def.Patch.MaximumDuration, RebootSetting: def.Patch.RebootSetting,
			Classifications: def.Patch.Classifications},
		ConcurrencyPerSubscription: def.ConcurrencyPerSubscription,
		ArcBackup:                  def.ArcBackup,
		PollInterval:               def.PollInterval,
		AssessTimeout:              def.AssessTimeout,
	}
}

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
