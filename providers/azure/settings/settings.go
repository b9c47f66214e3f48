// Package settings holds the Azure provider's defaults and the values Azure
// accepts for providers.azure. It imports only the standard library, so
// config decodes, validates and documents the section with them without
// linking the Azure SDK, and the provider fills what a caller left zero
// from the same place.
package settings

import (
	"slices"
	"time"
)

// Settings are the keys of providers.azure that have a default.
type Settings struct {
	Cloud                      string
	Patch                      Patch
	ConcurrencyPerSubscription int
	ArcBackup                  string
	PollInterval               time.Duration
	AssessTimeout              time.Duration
}

// Patch is what installPatches is asked for.
type Patch struct {
	MaximumDuration time.Duration
	RebootSetting   string
	Classifications []string
}

// Defaults is what an absent key means.
func Defaults() Settings {
	return Settings{
		Cloud:                      "public",
		Patch:                      Patch{MaximumDuration: 2 * time.Hour, RebootSetting: "IfRequired", Classifications: []string{"Critical", "Security"}},
		ConcurrencyPerSubscription: 8,
		ArcBackup:                  ArcBackupFinding,
		PollInterval:               10 * time.Second,
		AssessTimeout:              30 * time.Minute,
	}
}

// ArcBackup values: an Arc server has no managed disk to snapshot, so a
// backup reports it (finding: the backup gate fails until someone
// decides) or records the skip and counts it done.
const (
	ArcBackupFinding = "finding"
	ArcBackupSkip    = "skip"
)

// MaxInstallDuration is the longest install Azure accepts.
const MaxInstallDuration = 4 * time.Hour

// Values Azure accepts.
var (
	Clouds                 = []string{"public", "usgovernment", "china"}
	ArcBackups             = []string{ArcBackupFinding, ArcBackupSkip}
	RebootSettings         = []string{"IfRequired", "Never", "Always"}
	LinuxClassifications   = []string{"Critical", "Security", "Other"}
	WindowsClassifications = []string{"Critical", "Security", "UpdateRollUp", "FeaturePack", "ServicePack", "Definition", "Tools", "Updates"}
)

// Classifications is every classification of either OS family, each once.
func Classifications() []string {
	out := slices.Clone(LinuxClassifications)
	for _, c := range WindowsClassifications {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
