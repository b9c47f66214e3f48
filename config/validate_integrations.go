package config

import (
	"net/url"
	"slices"
	"strings"

	falconsettings "github.com/patchgate/patchgate/providers/falcon/settings"
)

// falconClouds are the Falcon API regions the provider knows.
var falconClouds = falconsettings.Clouds

// checkIntegrations validates the Falcon, PagerDuty and Dynatrace sections:
// credentials are references, every required piece is there, and every
// environment with a health gate has a Dynatrace selector (else the gate
// would fail at run time, in the middle of a cycle).
func (d *decoder) checkIntegrations(c *Config) {
	d.checkAWS(c)
	p := c.Providers
	f := p.Falcon
	d.checkSecret("providers.falcon.client_id", f.ClientID)
	d.checkSecret("providers.falcon.client_secret", f.ClientSecret)
	if f.Enabled() {
		if f.ClientID.IsZero() {
			d.at("providers.falcon.client_id", "is required with client_secret (an API client with Hosts: read and Sensor update policies: read)")
		}
		if f.ClientSecret.IsZero() {
			d.at("providers.falcon.client_secret", "is required with client_id")
		}
		if !slices.Contains(falconClouds, f.Cloud) {
			d.at("providers.falcon.cloud", "unknown Falcon cloud %q%s", f.Cloud, want(f.Cloud, falconClouds...))
		}
		d.positive("providers.falcon.last_seen_within", f.LastSeenWithin)
		if f.BaseURL != "" {
			d.checkURL("providers.falcon.base_url", f.BaseURL)
			if u, err := url.Parse(f.BaseURL); err == nil {
				if u.Scheme == "http" && !loopback(u.Hostname()) {
					d.at("providers.falcon.base_url", "must be https: the client secret and bearer token would cross the network in clear text (http is for localhost only)")
				}
				if strings.Trim(u.Path, "/") != "" {
					d.at("providers.falcon.base_url", "%q has a path: Falcon's token and API paths start at the host (give scheme and host only)", f.BaseURL)
				}
			}
		}
	}
	for i, o := range f.Overrides {
		p := index("providers.falcon.overrides", i)
		if o.OS == "" || o.Kernel == "" {
			d.at(p, "needs os and kernel (e.g. os: rhel7, kernel: \">3.10.0-1160\")")
		}
		if o.Reason == "" {
			d.at(p+".reason", "is required: the reason is shown with every host the override decides")
		}
	}

	d.checkAzure(p.Azure)

	pd := p.PagerDuty
	d.checkSecret("providers.pagerduty.routing_key", pd.RoutingKey)
	if pd.EventsURL != "" {
		d.checkURL("providers.pagerduty.events_url", pd.EventsURL)
	}

	dt := p.Dynatrace
	d.checkSecret("providers.dynatrace.token", dt.Token)
	if !dt.Enabled() {
		return
	}
	if dt.URL == "" {
		d.at("providers.dynatrace.url", "is required (the environment URL, e.g. https://abc123.live.dynatrace.com)")
	} else {
		d.checkURL("providers.dynatrace.url", dt.URL)
	}
	if dt.Token.IsZero() {
		d.at("providers.dynatrace.token", "is required (an API token with problems.read)")
	}
	gated := map[string]bool{}
	for _, t := range c.Tiers {
		gated[t.Env] = t.HealthGate
	}
	known := map[string]bool{}
	for _, t := range c.TenantList {
		for _, e := range t.Environments {
			key := t.Name + "/" + e.Name
			known[key], known[e.Name] = true, true
			if gated[e.Name] && dt.Selectors[key] == "" && dt.Selectors[e.Name] == "" {
				d.at("providers.dynatrace.selectors", "no entity selector for %s, whose health gate needs one (key %q or %q)", key, key, e.Name)
			}
		}
	}
	for key := range dt.Selectors {
		if !known[key] {
			d.at("providers.dynatrace.selectors."+key, "%q is neither a tenant/environment nor an environment of this file", key)
		}
	}
}

// checkURL wants an absolute http(s) URL.
func (d *decoder) checkURL(field, raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(raw, " \t") {
		d.at(field, "%q is not an http(s) URL", raw)
	}
}
