package config

import (
	"slices"
	"time"
	_ "time/tzdata" // distroless images have no zoneinfo; timezones must load anyway

	"github.com/patchgate/patchgate/runbooks"
)

// normalize derives what a valid Config carries beyond the file: each
// tenant's environments in pipeline order (the file's mapping order means
// nothing), and the loaded schedule location.
func normalize(c *Config) {
	order := map[string]int{}
	for i, t := range c.Tiers {
		order[t.Env] = i
	}
	for i := range c.TenantList {
		slices.SortStableFunc(c.TenantList[i].Environments, func(a, b runbooks.Environment) int {
			return order[a.Name] - order[b.Name]
		})
	}
	c.Schedules.Location, _ = time.LoadLocation(c.Schedules.Timezone) // checked by validate
}
