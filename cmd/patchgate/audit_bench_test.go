package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/redisstore/redistest"
)

// benchAudit is a configuration of `tenants` tenants on one backend, signed
// (Ed25519 from the environment, directory anchor) or not.
func benchAudit(b *testing.B, backend string, tenants int, signed bool) (cfgPath, anchorDir string) {
	b.Helper()
	dir := b.TempDir()
	anchorDir = filepath.Join(dir, "anchors")
	seed := make([]byte, ed25519.SeedSize)
	copy(seed, "patchgate-audit-bench-seed")
	b.Setenv(auditKeyEnv, base64.StdEncoding.EncodeToString(seed))
	var body strings.Builder
	switch backend {
	case "bolt":
		fmt.Fprintf(&body, "store: {backend: bolt, bolt: {path: %s}}\n", filepath.Join(dir, "state.db"))
	case "redis":
		fmt.Fprintf(&body, "store: {backend: redis, redis: {network: unix, addr: %s, prefix: bench}}\n", redistest.Start(b))
	}
	body.WriteString(`engine: {tick: 20ms, lease_ttl: 5s, step_timeout: 2s, workers: 8}
providers: {kind: sim, sim: {seed: 3, hosts_per_target: 1}}
pipeline:
  - {env: nonprod, approvers: [U0ALICE001], min_approvals: 1}
  - {env: production, approvers: [U0ALICE001, U0BOB00002], min_approvals: 2, four_eyes: true}
tenants:
`)
	for i := range tenants {
		fmt.Fprintf(&body, `  - name: cu%03d
    environments:
      nonprod: {targets: [{cloud: aws, account: "111111111111", regions: [us-east-1]}]}
      production: {targets: [{cloud: aws, account: "222222222222", regions: [us-east-1]}]}
`, i)
	}
	if signed {
		fmt.Fprintf(&body, "audit:\n  signing: {key: \"env:%s\", key_id: bench}\n  anchor: {dir: %s}\n", auditKeyEnv, anchorDir)
	}
	cfgPath = filepath.Join(dir, "patchgate.yaml")
	writeFile(b, cfgPath, body.String())
	return cfgPath, anchorDir
}

// writeTimer adds up the time a store spends in its write calls.
type writeTimer struct {
	state.Store
	nanos, calls atomic.Int64
}

func (w *writeTimer) since(t time.Time) { w.nanos.Add(int64(time.Since(t))); w.calls.Add(1) }

func (w *writeTimer) Create(ctx context.Context, k string, v []byte) (state.Record, error) {
	defer w.since(time.Now())
	return w.Store.Create(ctx, k, v)
}
func (w *writeTimer) Update(ctx context.Context, k string, v []byte, ver int64) (state.Record, error) {
	defer w.since(time.Now())
	return w.Store.Update(ctx, k, v, ver)
}
func (w *writeTimer) UpdateFenced(ctx context.Context, l state.Lease, k string, v []byte, ver int64) (state.Record, error) {
	defer w.since(time.Now())
	return w.Store.UpdateFenced(ctx, l, k, v, ver)
}
func (w *writeTimer) Delete(ctx context.Context, k string, ver int64) error {
	defer w.since(time.Now())
	return w.Store.Delete(ctx, k, ver)
}
func (w *writeTimer) Claim(ctx context.Context, k string, ttl time.Duration) (bool, error) {
	defer w.since(time.Now())
	return w.Store.Claim(ctx, k, ttl)
}
func (w *writeTimer) AcquireLease(ctx context.Context, k, h string, ttl time.Duration) (state.Lease, error) {
	defer w.since(time.Now())
	return w.Store.AcquireLease(ctx, k, h, ttl)
}
func (w *writeTimer) RenewLease(ctx context.Context, l state.Lease, ttl time.Duration) (state.Lease, error) {
	defer w.since(time.Now())
	return w.Store.RenewLease(ctx, l, ttl)
}
func (w *writeTimer) ReleaseLease(ctx context.Context, l state.Lease) error {
	defer w.since(time.Now())
	return w.Store.ReleaseLease(ctx, l)
}
func (w *writeTimer) Append(ctx context.Context, s string, d []byte) (state.Entry, error) {
	defer w.since(time.Now())
	return w.Store.Append(ctx, s, d)
}
func (w *writeTimer) AppendAt(ctx context.Context, s string, seq int64, d []byte) (state.Entry, error) {
	defer w.since(time.Now())
	return w.Store.AppendAt(ctx, s, seq, d)
}

// benchApp builds the engine of cfgPath on a store whose writes are timed.
func benchApp(b *testing.B, cfgPath string) (*app, *writeTimer) {
	b.Helper()
	ctx := context.Background()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		b.Fatal(err)
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	wt := &writeTimer{Store: st}
	a, err := assemble(ctx, cfg, wiring{reports: b.TempDir(), log: slog.New(slog.DiscardHandler)}, wt)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.store.Close() })
	return a, wt
}

// runCycles starts one cycle per tenant and runs them all to the end.
func runCycles(b *testing.B, a *app, tenants int) {
	b.Helper()
	ctx := context.Background()
	for i := range tenants {
		if _, err := a.engine.Start(ctx, fmt.Sprintf("cu%03d", i), "U0REQ00001"); err != nil {
			b.Fatal(err)
		}
	}
	runToEnd(b, a.engine)
}

// countFiles counts the checkpoints anchored under dir.
func countFiles(b *testing.B, dir string) int {
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		b.Fatal(err)
	}
	return n
}

// BenchmarkAuditSigningPerCycle runs whole cycles (sim fleet, two approval
// stages, the report) with and without audit signing on each backend. Per
// cycle it reports the time, the time the store spent in writes, and how
// many checkpoints were signed and anchored; BenchmarkCheckpoint (in
// state/checkpoint) gives the cost of one checkpoint.
func BenchmarkAuditSigningPerCycle(b *testing.B) {
	for _, backend := range []string{"bolt", "redis"} {
		for _, signed := range []bool{false, true} {
			name := backend + "/unsigned"
			if signed {
				name = backend + "/signed"
			}
			b.Run(name, func(b *testing.B) {
				cfgPath, anchorDir := benchAudit(b, backend, 1, signed)
				a, wt := benchApp(b, cfgPath)
				wt.nanos.Store(0)
				wt.calls.Store(0)
				b.ResetTimer()
				for range b.N {
					runCycles(b, a, 1)
				}
				b.StopTimer()
				b.ReportMetric(float64(wt.nanos.Load())/1e6/float64(b.N), "store-write-ms/cycle")
				b.ReportMetric(float64(wt.calls.Load())/float64(b.N), "store-writes/cycle")
				b.ReportMetric(float64(countFiles(b, anchorDir))/float64(b.N), "checkpoints/cycle")
			})
		}
	}
}

// BenchmarkAuditVerify1000 runs `patchgate audit verify` over a store of
// 1,000 finished, signed cycles (50 tenants × 20 rounds) on each backend.
func BenchmarkAuditVerify1000(b *testing.B) {
	const tenants, rounds = 50, 20
	for _, backend := range []string{"bolt", "redis"} {
		b.Run(backend, func(b *testing.B) {
			cfgPath, anchorDir := benchAudit(b, backend, tenants, true)
			a, _ := benchApp(b, cfgPath)
			start := time.Now()
			for range rounds {
				runCycles(b, a, tenants)
			}
			b.Logf("%s: %d cycles made in %v, %d checkpoints", backend, tenants*rounds, time.Since(start).Round(time.Second), countFiles(b, anchorDir))
			a.store.Close()
			var out bytes.Buffer
			b.ResetTimer()
			for range b.N {
				out.Reset()
				if code := run(context.Background(), []string{"audit", "verify", "--config", cfgPath}, &out, io.Discard); code != 0 {
					b.Fatalf("audit verify: exit %d:\n%s", code, out.String())
				}
			}
			b.StopTimer()
			b.Logf("%s", out.String())
		})
	}
}
