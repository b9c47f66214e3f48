package gcp

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"google.golang.org/api/option"

	"github.com/patchgate/patchgate/internal/ctxsleep"
	"github.com/patchgate/patchgate/providers/gcp/settings"
	"github.com/patchgate/patchgate/runbooks"
)

// Config is what the provider needs. Zero values take the defaults named
// on each field.
type Config struct {
	// CredentialsFile is a service-account key or credential configuration
	// file; empty uses Application Default Credentials (the workload
	// identity of the pod, or GOOGLE_APPLICATION_CREDENTIALS).
	CredentialsFile string
	// CredentialsType is the kind of file: service_account (default),
	// external_account (workload identity federation), authorized_user or
	// impersonated_service_account.
	CredentialsType string
	// ComputeEndpoint and OSConfigEndpoint override the public endpoints
	// (https://compute.googleapis.com/compute/v1/ and
	// https://osconfig.googleapis.com/), e.g. for Private Service Connect.
	ComputeEndpoint  string
	OSConfigEndpoint string

	Patch PatchSettings
	// Sensor is the Falcon sensor install through a patch job
	// (sensor.go); zero: sensor deployments to GCP are refused.
	Sensor SensorInstall
	// ReadsPerMinute and WritesPerMinute bound OS Config API calls
	// (default 600 and 60).
	ReadsPerMinute  int
	WritesPerMinute int
	// InventoryMaxAge is how old an OS Config inventory report may be before
	// its agent counts as offline (default 24h).
	InventoryMaxAge time.Duration
	// PollLimit bounds how many snapshot operations one BackupStatus call
	// reads (default 50), so a poll of a large backup fits a step timeout;
	// the rest are read on the next poll.
	PollLimit int

	Clock runbooks.Clock // default runbooks.SystemClock
	// Sleep waits out the rate limiter; tests pass one that advances a fake
	// clock. Default: a timer that also watches ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	Log   *slog.Logger
	// Options are added to both API clients (tests:
	// option.WithoutAuthentication()).
	Options []option.ClientOption
	// StepTimeout is the engine's step budget; retries, each attempt's
	// timeout and the waits between them are derived from it
	// (runbooks.StepBudget).
	StepTimeout time.Duration
}

// PatchSettings shape every patch job.
type PatchSettings struct {
	// RolloutMode is ZONE_BY_ZONE (default) or CONCURRENT_ZONES.
	RolloutMode string
	// DisruptionBudgetPercent is the share of a zone's VMs patched at once
	// (default 25).
	DisruptionBudgetPercent int
	// RebootConfig is DEFAULT (reboot when the update needs it; default),
	// ALWAYS or NEVER.
	RebootConfig string
	// Duration after which the job times out (default 2h).
	Duration time.Duration
	// Pre- and post-patch steps: absolute paths of scripts already on the
	// VMs (Linux run with a shell, Windows with PowerShell); empty means
	// none.
	PreStepLinux, PreStepWindows   string
	PostStepLinux, PostStepWindows string
}

func (c *Config) defaults() error {
	def := settings.Defaults()
	p := &c.Patch
	if p.RolloutMode == "" {
		p.RolloutMode = def.Patch.RolloutMode
	}
	if p.DisruptionBudgetPercent == 0 {
		p.DisruptionBudgetPercent = def.Patch.DisruptionBudgetPercent
	}
	if p.RebootConfig == "" {
		p.RebootConfig = def.Patch.RebootConfig
	}
	if p.Duration == 0 {
		p.Duration = def.Patch.Duration
	}
	if c.ReadsPerMinute == 0 {
		c.ReadsPerMinute = def.ReadsPerMinute
	}
	if c.WritesPerMinute == 0 {
		c.WritesPerMinute = def.WritesPerMinute
	}
	if c.InventoryMaxAge == 0 {
		c.InventoryMaxAge = def.InventoryMaxAge
	}
	if c.PollLimit == 0 {
		c.PollLimit = 50
	}
	if c.Clock == nil {
		c.Clock = runbooks.SystemClock
	}
	if c.Sleep == nil {
		c.Sleep = ctxsleep.Sleep
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	switch {
	case !slices.Contains(settings.RolloutModes, p.RolloutMode):
		return fmt.Errorf("patch rollout mode %q: want %s", p.RolloutMode, strings.Join(settings.RolloutModes, " or "))
	case p.DisruptionBudgetPercent < 1 || p.DisruptionBudgetPercent > 100:
		return fmt.Errorf("patch disruption budget %d%%: want 1 to 100", p.DisruptionBudgetPercent)
	case !slices.Contains(settings.RebootConfigs, p.RebootConfig):
		return fmt.Errorf("patch reboot config %q: want %s, %s or %s", p.RebootConfig, settings.RebootDefault, settings.RebootAlways, settings.RebootNever)
	case p.Duration < 0:
		return fmt.Errorf("patch duration %v: must not be negative", p.Duration)
	case c.ReadsPerMinute < 0 || c.WritesPerMinute < 0:
		return fmt.Errorf("quota %d reads, %d writes per minute: must not be negative", c.ReadsPerMinute, c.WritesPerMinute)
	}
	return nil
}
