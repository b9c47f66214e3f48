// Package settings holds the GCP provider's defaults and the values OS
// Config accepts for providers.gcp. It imports only the standard library,
// so config decodes, validates and documents the section with them without
// linking the Google SDK, and the provider fills what a caller left zero
// from the same place. Values are spelled as OS Config's API spells them;
// the configuration file spells them in lower case.
package settings

import "time"

// Settings are the keys of providers.gcp that have a default.
type Settings struct {
	CredentialsType string
	InventoryMaxAge time.Duration
	Patch           Patch
	ReadsPerMinute  int
	WritesPerMinute int
}

// Patch is the patch job's rollout and reboot policy.
type Patch struct {
	RolloutMode             string
	DisruptionBudgetPercent int
	RebootConfig            string
	Duration                time.Duration
}

// Defaults is what an absent key means.
func Defaults() Settings {
	return Settings{
		CredentialsType: "service_account",
		InventoryMaxAge: 24 * time.Hour,
		Patch:           Patch{RolloutMode: RolloutZoneByZone, DisruptionBudgetPercent: 25, RebootConfig: RebootDefault, Duration: 2 * time.Hour},
		ReadsPerMinute:  600,
		WritesPerMinute: 60,
	}
}

// Rollout modes and reboot settings as OS Config spells them.
const (
	RolloutZoneByZone      = "ZONE_BY_ZONE"
	RolloutConcurrentZones = "CONCURRENT_ZONES"
	RebootDefault          = "DEFAULT"
	RebootAlways           = "ALWAYS"
	RebootNever            = "NEVER"
)

// Values OS Config and the Google auth library accept.
var (
	CredentialTypes = []string{"service_account", "external_account", "authorized_user", "impersonated_service_account"}
	RolloutModes    = []string{RolloutZoneByZone, RolloutConcurrentZones}
	RebootConfigs   = []string{RebootDefault, RebootAlways, RebootNever}
)
