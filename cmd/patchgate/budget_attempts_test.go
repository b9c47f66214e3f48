package main

import (
	"testing"

	"github.com/patchgate/patchgate/config"
	awsprovider "github.com/patchgate/patchgate/providers/aws"
	"github.com/patchgate/patchgate/providers/dynatrace"
	"github.com/patchgate/patchgate/providers/falcon"
	"github.com/patchgate/patchgate/providers/gcp"
	"github.com/patchgate/patchgate/providers/pagerduty"
	"github.com/patchgate/patchgate/runbooks"
)

// TestBudgetAttemptsMatchProviders: config validate checks each SDK's
// attempts against engine.step_timeout with its own table (config may not
// import providers); the table must say what the providers do.
func TestBudgetAttemptsMatchProviders(t *testing.T) {
	for section, want := range map[string]int{
		"providers.aws":       awsprovider.DefaultMaxAttempts,
		"providers.azure":     runbooks.DefaultAttempts, // azure.New takes StepBudget's default
		"providers.gcp":       gcp.Attempts,
		"providers.falcon":    falcon.DefaultMaxRetries + 1,
		"providers.pagerduty": pagerduty.DefaultMaxRetries + 1,
		"providers.dynatrace": dynatrace.DefaultMaxRetries + 1,
	} {
		if got := config.SDKAttempts(section); got != want {
			t.Errorf("config's attempts for %s = %d, the provider makes %d", section, got, want)
		}
	}
}
