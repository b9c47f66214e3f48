package scale

import (
	"context"
	"testing"

	"github.com/patchgate/patchgate/state/redisstore/redistest"
)

// TestScaleHarnessSmallest runs the harness at its smallest size (one
// 1,000-host tenant, real-sized handles) on bbolt with one replica and on
// Redis with three, and checks its figures are sane — not how fast.
func TestScaleHarnessSmallest(t *testing.T) {
	for _, o := range []Options{
		{Backend: "bolt", Replicas: 1},
		{Backend: "redis", Replicas: 3},
	} {
		t.Run(o.Backend, func(t *testing.T) {
			o.Tenants, o.HostsPerTenant, o.RealHandles, o.Dir = 1, 1000, true, t.TempDir()
			if o.Backend == "redis" {
				o.RedisSocket = redistest.Start(t)
			}
			res, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%+v", res)
			if res.Completed != 1 || res.Hosts != 1000 {
				t.Errorf("%d cycles completed over %d hosts, want 1 over 1000", res.Completed, res.Hosts)
			}
			checkSizes(t, res)
			if res.BytesPerCycle <= int64(res.StoreValueMax) || res.WritesPerCycle < 10 {
				t.Errorf("%d bytes in %d writes per cycle: less than one cycle writes", res.BytesPerCycle, res.WritesPerCycle)
			}
			// Messages grow with stages, never with hosts: 5 per stage + 10.
			if res.SlackCallsPerCyc < 5 || res.SlackCallsPerCyc > 35 {
				t.Errorf("%.0f Slack Web API calls per cycle, want between 5 and 35", res.SlackCallsPerCyc)
			}
			if res.AuditEventsPerCyc < 20 || res.AuditEventsPerCyc > 100 {
				t.Errorf("%.0f audit events per cycle, want the 20-100 of one clean cycle", res.AuditEventsPerCyc)
			}
			for _, stage := range []string{"setup", "preflight", "nonprod", "staging", "production", "report"} {
				if _, ok := res.CPUByStage[stage]; !ok {
					t.Errorf("no CPU charged to stage %s: %v", stage, res.CPUByStage)
				}
			}
			if res.IdleTickPerCycle <= 0 || res.PeakRSS <= 0 {
				t.Errorf("idle tick %.6fs per cycle, peak RSS %d: not measured", res.IdleTickPerCycle, res.PeakRSS)
			}
			if o.Backend == "redis" && res.RedisMemPerCycle <= 0 {
				t.Errorf("Redis memory per completed cycle %d, want the cycle's records", res.RedisMemPerCycle)
			}
		})
	}
}

// TestRecordSize20000Hosts runs a 20,000-host cycle with real-sized
// operation handles (AWS ~60 B per instance, Azure ~760 B per machine:
// about 5 MB per environment) and checks the cycle record every tick decodes
// stays under 64 KB and no store value reaches 1 MB.
func TestRecordSize20000Hosts(t *testing.T) {
	res, err := Run(context.Background(), Options{Backend: "bolt", Tenants: 1, HostsPerTenant: 20000,
		RealHandles: true, NoReport: true, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cycle record max %d B, largest value %d B (%s), %d B written", res.CycleRecordMax,
		res.StoreValueMax, res.StoreValueMaxKey, res.BytesPerCycle)
	if res.Completed != 1 {
		t.Fatalf("%d cycles completed, want 1", res.Completed)
	}
	checkSizes(t, res)
}

func checkSizes(t *testing.T, res Result) {
	t.Helper()
	if res.CycleRecordMax <= 0 || res.CycleRecordMax >= 64<<10 {
		t.Errorf("largest cycle record %d B, want under 64 KB", res.CycleRecordMax)
	}
	if res.StoreValueMax >= 1<<20 {
		t.Errorf("largest store value %d B (%s), want under 1 MB", res.StoreValueMax, res.StoreValueMaxKey)
	}
}
