package azure

import (
	"reflect"
	"testing"

	"github.com/patchgate/patchgate/providers/azure/settings"
)

// TestZeroConfigTakesTheSettingsDefaults: what config documents as the
// defaults is what the provider fills in for a zero field.
func TestZeroConfigTakesTheSettingsDefaults(t *testing.T) {
	c, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	def := settings.Defaults()
	if got := c.Settings; !reflect.DeepEqual(got, def) {
		t.Errorf("zero config became %+v, want settings.Defaults %+v", got, def)
	}
}
