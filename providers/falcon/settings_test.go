package falcon

import (
	"testing"

	"github.com/patchgate/patchgate/providers/falcon/settings"
)

// TestZeroConfigTakesTheSettingsDefaults: what config documents as the
// defaults is what the client fills in for a zero field.
func TestZeroConfigTakesTheSettingsDefaults(t *testing.T) {
	cfg := Config{AccessToken: "token"}
	if err := cfg.defaults(); err != nil {
		t.Fatal(err)
	}
	def := settings.Defaults()
	if cfg.Cloud != def.Cloud || cfg.OnlineWindow != def.LastSeenWithin {
		t.Errorf("zero config became cloud %q, online window %v; want settings.Defaults %+v", cfg.Cloud, cfg.OnlineWindow, def)
	}
}
