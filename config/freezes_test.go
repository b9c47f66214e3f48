package config

import (
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// TestFreezeConfig: configured freezes reach the engine with their times
// read, all tenants by default.
func TestFreezeConfig(t *testing.T) {
	c, err := Parse("test.yaml", []byte(minimal+`
tenants:
  - name: acme-cu
    environments:
      production: {targets: [{cloud: aws, account: "111111111111", regions: [us-east-1]}]}
freezes:
  - tenant: acme-cu
    from: "2026-12-28T00:00:00-06:00"
    until: 2027-01-02
    reason: year-end processing
  - from: 2027-01-02
    until: 2027-01-03
    reason: holiday
`))
	if err != nil {
		t.Fatal(err)
	}
	got := c.EngineConfig().Freezes
	want := []runbooks.Freeze{
		{Tenant: "acme-cu", From: time.Date(2026, 12, 28, 6, 0, 0, 0, time.UTC), Until: time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC), Reason: "year-end processing", Source: runbooks.FreezeConfig},
		{Tenant: runbooks.FreezeAll, From: time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC), Until: time.Date(2027, 1, 3, 0, 0, 0, 0, time.UTC), Reason: "holiday", Source: runbooks.FreezeConfig},
	}
	if len(got) != len(want) {
		t.Fatalf("freezes = %+v", got)
	}
	for i := range want {
		if got[i].Tenant != want[i].Tenant || !got[i].From.Equal(want[i].From) || !got[i].Until.Equal(want[i].Until) ||
			got[i].Reason != want[i].Reason || got[i].Source != want[i].Source {
			t.Errorf("freeze %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
