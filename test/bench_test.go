package test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// benchBackends runs fn once per store backend as a sub-benchmark.
func benchBackends(b *testing.B, fn func(b *testing.B, h func(sim.Config, int) *harness)) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			fn(b, func(cfg sim.Config, replicas int) *harness {
				return newHarness(b, be.open(b), cfg, replicas)
			})
		})
	}
}

// reportLatency records p50 and p99 of the per-operation durations.
func reportLatency(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkDecide measures one human decision end to end: read the cycle,
// check the policy, compare-and-swap the record, append the audit event and
// tell chat. It alternates halt and resume on one cycle, so every call is a
// real, applied decision.
func BenchmarkDecide(b *testing.B) {
	benchBackends(b, func(b *testing.B, newH func(sim.Config, int) *harness) {
		ctx := context.Background()
		tenants := sim.GenerateTenants(1, 5)
		h := newH(sim.Config{Seed: 5, Tenants: tenants, HostsPerTarget: 1}, 1)
		c, err := h.engines[0].Start(ctx, tenants[0].Name, requester)
		if err != nil {
			b.Fatal(err)
		}
		h.driveTo(ctx, c.ID, "nonprod")
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			a := runbooks.HaltCycle
			if i%2 == 1 {
				a = runbooks.Resume
			}
			t0 := time.Now()
			if _, err := h.engines[0].Decide(ctx, runbooks.Decision{Cycle: c.ID, Action: a, Actor: alice}); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
			if i%8 == 7 {
				// The engine trims delivered events every tick; without
				// it the outbox would grow as it never does in service.
				b.StopTimer()
				h.tickAll(ctx)
				b.StartTimer()
			}
		}
		b.StopTimer()
		reportLatency(b, lat)
	})
}

// BenchmarkTick500 measures one reconcile tick over 500 active cycles, in
// the two steady states a fleet spends its time in: every cycle waiting for
// a person (idle: one list, no lease, no write) and every cycle polling a
// running backup (busy: lease, read, provider poll, release for each).
func BenchmarkTick500(b *testing.B) {
	const n = 500
	for _, mode := range []string{"idle", "busy"} {
		b.Run(mode, func(b *testing.B) {
			benchBackends(b, func(b *testing.B, newH func(sim.Config, int) *harness) {
				ctx := context.Background()
				tenants := sim.GenerateTenants(n, 9)
				h := newH(sim.Config{Seed: 9, Tenants: tenants, HostsPerTarget: 1, OpDuration: 1000 * time.Hour}, 1)
				for _, tn := range tenants {
					if _, err := h.engines[0].Start(ctx, tn.Name, requester); err != nil {
						b.Fatal(err)
					}
				}
				h.tickAll(ctx) // preflight passes, nonprod waits for approval
				if mode == "busy" {
					h.approveWaiting(ctx)
					h.tickAll(ctx) // backups start and never finish
				}
				lat := make([]time.Duration, 0, b.N)
				var st runbooks.TickStats
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					t0 := time.Now()
					var err error
					if st, err = h.engines[0].TickStats(ctx); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t0))
				}
				b.StopTimer()
				if st.Active != n {
					b.Fatalf("%d active cycles, want %d", st.Active, n)
				}
				if want := map[string]int{"idle": 0, "busy": n}[mode]; st.Worked != want {
					b.Fatalf("%s tick worked %d cycles, want %d", mode, st.Worked, want)
				}
				reportLatency(b, lat)
			})
		})
	}
}
