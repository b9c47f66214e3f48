package config

import (
	"net"
	"net/url"
	"slices"

	azuresettings "github.com/patchgate/patchgate/providers/azure/settings"
)

// Values Azure accepts come from the provider's settings package, which
// does not link the SDK.
var (
	azureCredentials     = []string{AzureDefault, AzureClientSecret}
	azureClouds          = azuresettings.Clouds
	azureReboots         = azuresettings.RebootSettings
	azureArcBackups      = azuresettings.ArcBackups
	azureClassifications = azuresettings.Classifications()
)

// checkAzure validates providers.azure: a usable credential, an https
// endpoint, and installPatches parameters Azure accepts.
func (d *decoder) checkAzure(a Azure) {
	d.checkSecret("providers.azure.client_secret", a.ClientSecret)
	if !a.Enabled() {
		return
	}
	switch kind := a.CredentialKind(); {
	case !slices.Contains(azureCredentials, kind):
		d.at("providers.azure.credential", "unknown credential %q%s", kind, want(kind, azureCredentials...))
	case kind == AzureClientSecret:
		if a.ClientSecret.IsZero() {
			d.at("providers.azure.client_secret", "is required with credential: client_secret")
		}
		if a.TenantID == "" {
			d.at("providers.azure.tenant_id", "is required with client_secret (the service principal's Entra ID tenant)")
		}
		if a.ClientID == "" {
			d.at("providers.azure.client_id", "is required with client_secret (the service principal's application ID)")
		}
	case !a.ClientSecret.IsZero():
		d.at("providers.azure.client_secret", "is set but credential is %s, which would ignore it", kind)
	}
	if !slices.Contains(azureClouds, a.Cloud) {
		d.at("providers.azure.cloud", "unknown Azure cloud %q%s", a.Cloud, want(a.Cloud, azureClouds...))
	}
	if a.Endpoint != "" {
		d.checkURL("providers.azure.endpoint", a.Endpoint)
		if u, err := url.Parse(a.Endpoint); err == nil && u.Scheme == "http" && !loopback(u.Hostname()) {
			d.at("providers.azure.endpoint", "must be https: the bearer token would cross the network in clear text (http is for localhost only)")
		}
	}
	p := a.Patch
	d.positive("providers.azure.patch.maximum_duration", p.MaximumDuration)
	if p.MaximumDuration > azuresettings.MaxInstallDuration {
		d.at("providers.azure.patch.maximum_duration", "Azure allows at most 4h for one install, got %v", p.MaximumDuration)
	}
	if !slices.Contains(azureReboots, p.RebootSetting) {
		d.at("providers.azure.patch.reboot_setting", "unknown reboot setting %q%s", p.RebootSetting, want(p.RebootSetting, azureReboots...))
	}
	if len(p.Classifications) == 0 {
		d.at("providers.azure.patch.classifications", "must name at least one classification, e.g. [Critical, Security]")
	}
	for i, c := range p.Classifications {
		if !slices.Contains(azureClassifications, c) {
			d.at(index("providers.azure.patch.classifications", i), "unknown classification %q%s", c, want(c, azureClassifications...))
		}
	}
	d.atLeast("providers.azure.concurrency_per_subscription", a.ConcurrencyPerSubscription, 1)
	d.positive("providers.azure.poll_interval", a.PollInterval)
	d.positive("providers.azure.assess_timeout", a.AssessTimeout)
	if !slices.Contains(azureArcBackups, a.ArcBackup) {
		d.at("providers.azure.arc_backup", "unknown value %q%s", a.ArcBackup, want(a.ArcBackup, azureArcBackups...))
	}
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
