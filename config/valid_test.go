package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// minimal is the smallest valid pipeline; the cases below add to it.
const minimal = `
pipeline:
  - env: nonprod
    approvers: [U0AAAAAAA]
  - env: production
    approvers: [U0BBBBBBB, U0CCCCCCC]
`

// TestValid parses files that must have no problems and checks what a
// rule or default made of them.
func TestValid(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		check func(t *testing.T, c *Config)
	}{
		{"missing sections take defaults", minimal, func(t *testing.T, c *Config) {
			want := defaults()
			if !reflect.DeepEqual(c.Store, want.Store) || !reflect.DeepEqual(c.Engine, want.Engine) || !reflect.DeepEqual(c.Providers, want.Providers) {
				t.Errorf("got %+v %+v %+v, want the defaults", c.Store, c.Engine, c.Providers)
			}
			if c.Store.Bolt.Path != "/var/lib/patchgate/state.db" || c.Store.Redis.Prefix != "patchgate" {
				t.Errorf("store = %+v", c.Store)
			}
			if c.Schedules.PatchCycle != "0 2 * * SUN#4" || c.Schedules.Location.String() != "UTC" {
				t.Errorf("schedules = %+v", c.Schedules)
			}
			if len(c.TenantList) != 0 {
				t.Errorf("tenants = %+v, want none", c.TenantList)
			}
		}},
		{"null sections take defaults", minimal + "store:\nengine: ~\nproviders: {sim: ~}\nslack:\n",
			func(t *testing.T, c *Config) {
				if c.Engine.Workers != 8 || c.Store.Backend != BackendBolt || c.Providers.Sim.HostsPerTarget != 4 {
					t.Errorf("engine %+v store %+v providers %+v", c.Engine, c.Store, c.Providers)
				}
			}},
		{"a tier's role, not its name, picks its defaults", `
pipeline:
  - env: dev
    approvers: [U0AAAAAAA]
  - env: uat
    approvers: [U0AAAAAAA]
  - env: prod
    approvers: [U0BBBBBBB, U0CCCCCCC]
`, func(t *testing.T, c *Config) {
			d, s, p := c.Tiers[0], c.Tiers[1], c.Tiers[2]
			if d.Soak != 0 || d.MinApprovals != 1 || d.Production || d.Staging {
				t.Errorf("dev = %+v", d)
			}
			if s.Soak != 24*time.Hour || s.MinApprovals != 1 || !s.SensorGate || !s.Staging || s.Production {
				t.Errorf("uat (staging) = %+v", s)
			}
			if p.MinApprovals != 2 || !p.FourEyes || !p.HealthGate || !p.SensorGate || !p.Production {
				t.Errorf("prod (production) = %+v", p)
			}
		}},
		{"declared roles win over position", `
pipeline:
  - env: nonprod
    approvers: [U0AAAAAAA]
  - env: live
    approvers: [U0BBBBBBB, U0CCCCCCC]
    production: true
  - env: dr
    approvers: [U0AAAAAAA]
`, func(t *testing.T, c *Config) {
			n, l, dr := c.Tiers[0], c.Tiers[1], c.Tiers[2]
			if !l.Production || l.MinApprovals != 2 || !l.FourEyes || dr.Production || dr.FourEyes || n.Staging {
				t.Errorf("tiers = %+v", c.Tiers)
			}
			if p := c.Pipeline(); !p[1].Production || p[2].Production {
				t.Errorf("pipeline = %+v", p)
			}
		}},
		{"a two-tier pipeline has no staging", minimal, func(t *testing.T, c *Config) {
			if n, p := c.Tiers[0], c.Tiers[1]; n.Staging || n.Soak != 0 || !p.Production {
				t.Errorf("tiers = %+v", c.Tiers)
			}
		}},
		{"production waivers", `
pipeline:
  - env: nonprod
    approvers: [U0AAAAAAA]
  - env: production
    approvers: [U0BBBBBBB]
    min_approvals: 1
    waive_min_approvals: true
    four_eyes: false
    waive_four_eyes: true
`, func(t *testing.T, c *Config) {
			if p := c.Pipeline()[1]; p.MinApprovals != 1 || p.FourEyes {
				t.Errorf("production = %+v", p)
			}
		}},
		{"groups make approvals possible", `
pipeline:
  - env: production
    groups: [S0CAB]
    min_approvals: 3
`, nil},
		{"redis backend with a unix socket and a file secret", minimal + `
store:
  backend: redis
  redis: {network: unix, addr: /run/redis.sock, password: "file:/run/secrets/redis", db: 2, prefix: pg-prod}
`, func(t *testing.T, c *Config) {
			r := c.Store.Redis
			if r.Network != "unix" || r.Addr != "/run/redis.sock" || r.Password != "file:/run/secrets/redis" || r.DB != 2 {
				t.Errorf("redis = %+v", r)
			}
		}},
		{"unquoted account numbers keep their digits", minimal + `
tenants:
  - name: acme-cu
    environments:
      nonprod:
        targets:
          - {cloud: aws, account: 012345678901, regions: [us-east-1]}
          - {cloud: aws, account: 111111111111, regions: [us-east-1]}
`, func(t *testing.T, c *Config) {
			ts := c.TenantList[0].Environments[0].Targets
			if ts[0].Account != "012345678901" || ts[1].Account != "111111111111" {
				t.Errorf("accounts = %q, %q", ts[0].Account, ts[1].Account)
			}
		}},
		{"environments come out in pipeline order", minimal + `
tenants:
  - name: acme-cu
    environments:
      production:
        targets: [{cloud: gcp, account: acme-prod}]
      nonprod:
        targets: [{cloud: gcp, account: acme-nonprod}]
`, func(t *testing.T, c *Config) {
			es := c.Tenants()[0].Environments
			if es[0].Name != "nonprod" || es[1].Name != "production" {
				t.Errorf("environments = %+v", es)
			}
		}},
		{"anchors under x- keys", `
x-cab: &cab [U0BBBBBBB, U0CCCCCCC]
x-target: &target {cloud: aws, account: "111111111111", regions: [us-east-1]}
pipeline:
  - env: nonprod
    approvers: *cab
  - env: production
    approvers: *cab
tenants:
  - name: acme-cu
    environments:
      nonprod: {targets: [*target]}
      production: {targets: [*target]}
`, func(t *testing.T, c *Config) {
			if !slices.Equal(c.Tiers[1].Approvers, []string{"U0BBBBBBB", "U0CCCCCCC"}) ||
				c.TenantList[0].Environments[1].Targets[0].Account != "111111111111" {
				t.Errorf("aliases not followed: %+v %+v", c.Tiers, c.TenantList)
			}
		}},
		{"cron shapes", minimal + "schedules: {timezone: America/Chicago, patch_cycle: '*/15 2-4 1,15 JAN-MAR mon-fri'}\n",
			func(t *testing.T, c *Config) {
				if c.Schedules.Location.String() != "America/Chicago" {
					t.Errorf("location = %v", c.Schedules.Location)
				}
			}},
		{"zero soak and explicit defaults", minimal + "engine: {tick: 500ms, lease_ttl: 2m, step_timeout: 90s}\n",
			func(t *testing.T, c *Config) {
				if c.Engine.Tick != 500*time.Millisecond || c.Engine.LeaseTTL != 2*time.Minute {
					t.Errorf("engine = %+v", c.Engine)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("test.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestSimSettings(t *testing.T) {
	c, err := Parse("t.yaml", []byte(minimal+"providers:\n  sim:\n    state_path: /tmp/sim.json\n    groups:\n      S0SRE: [U0ALICE001, U0BOB00002]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Providers.Sim.StatePath != "/tmp/sim.json" {
		t.Errorf("state_path = %q", c.Providers.Sim.StatePath)
	}
	if got := c.Providers.Sim.Groups["S0SRE"]; !reflect.DeepEqual(got, []string{"U0ALICE001", "U0BOB00002"}) {
		t.Errorf("groups = %v", c.Providers.Sim.Groups)
	}
	_, err = Parse("t.yaml", []byte(minimal+"providers:\n  sim:\n    groups:\n      S0SRE: U0ALICE001\n"))
	if err == nil || !strings.Contains(err.Error(), "providers.sim.groups.S0SRE") {
		t.Errorf("a group that is not a list: %v", err)
	}
}
