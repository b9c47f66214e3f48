package gcp

import (
	"testing"

	"github.com/patchgate/patchgate/providers/gcp/settings"
)

// TestZeroConfigTakesTheSettingsDefaults: what config documents as the
// defaults is what the provider fills in for a zero field.
func TestZeroConfigTakesTheSettingsDefaults(t *testing.T) {
	var c Config
	if err := c.defaults(); err != nil {
		t.Fatal(err)
	}
	def := settings.Defaults()
	got := settings.Patch{RolloutMode: c.Patch.RolloutMode, DisruptionBudgetPercent: c.Patch.DisruptionBudgetPercent,
		RebootConfig: c.Patch.RebootConfig, Duration: c.Patch.Duration}
	if got != def.Patch || c.ReadsPerMinute != def.ReadsPerMinute || c.WritesPerMinute != def.WritesPerMinute ||
		c.InventoryMaxAge != def.InventoryMaxAge {
		t.Errorf("zero config became patch %+v, quota %d/%d, inventory max age %v; want settings.Defaults %+v",
			got, c.ReadsPerMinute, c.WritesPerMinute, c.InventoryMaxAge, def)
	}
}
