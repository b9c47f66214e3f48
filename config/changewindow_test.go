package config

import (
	"testing"
	"time"
)

// TestChangeWindowConfig: a tier's window and min_remaining reach the
// engine's pipeline, and a tenant's override reaches its tenant.
func TestChangeWindowConfig(t *testing.T) {
	c, err := Parse("test.yaml", []byte(`
pipeline:
  - env: nonprod
    approvers: [U0AAAAAAA]
  - env: production
    approvers: [U0BBBBBBB, U0CCCCCCC]
    window: "SUN#4 02:00 4h"
    min_remaining: 90m
tenants:
  - name: acme-cu
    environments:
      production: {targets: [{cloud: aws, account: "111111111111", regions: [us-east-1]}]}
    windows:
      production: "SUN 02:00-06:00 America/Chicago"
`))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Pipeline()
	if p[1].Window != "SUN#4 02:00 4h" || p[1].MinRemaining != 90*time.Minute || p[0].Window != "" {
		t.Errorf("pipeline = %+v", p)
	}
	if got := c.Tenants()[0].Windows["production"]; got != "SUN 02:00-06:00 America/Chicago" {
		t.Errorf("tenant window = %q", got)
	}
}
