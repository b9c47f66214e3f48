package events_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/aws/events"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state/boltstore"
)

// countingEngine counts the events the engine took without error.
type countingEngine struct {
	*runbooks.Engine
	mu  sync.Mutex
	ids map[string]bool
}

func (c *countingEngine) IntakeComplianceEvent(ctx context.Context, ev runbooks.ComplianceEvent) (string, error) {
	id, err := c.Engine.IntakeComplianceEvent(ctx, ev)
	if err == nil {
		c.mu.Lock()
		c.ids[ev.ID] = true
		c.mu.Unlock()
	}
	return id, err
}

// BenchmarkConfigEventBurst10k: 10,000 compliance events already queued in
// moto's SQS (a fleet-wide Config re-evaluation), drained by three replicas
// into the real engine on bbolt: the time until every event is recorded in
// a remediation (the records the cards are rendered from), the heap, and
// that no event is lost. It runs once whatever b.N is:
//
//	go test -run '^$' -bench BenchmarkConfigEventBurst10k -benchtime 1x ./providers/aws/events/
func BenchmarkConfigEventBurst10k(b *testing.B) {
	const n = 10000
	r := newRig(b, "60")
	ctx := context.Background()
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	fleet, err := sim.New(sim.Config{Tenants: tenants()})
	if err != nil {
		b.Fatal(err)
	}
	e, err := runbooks.New(runbooks.Config{Replica: "bench"}, runbooks.Deps{Store: st, Inventory: fleet, Backups: fleet,
		Patcher: fleet, Sensors: fleet, Health: fleet, Chat: &notices{}, Log: slog.New(slog.DiscardHandler)}, tenants(), runbooks.DefaultPipeline())
	if err != nil {
		b.Fatal(err)
	}
	sink := &countingEngine{Engine: e, ids: map[string]bool{}}
	sendStart := time.Now()
	for i := 0; i < n; i += 10 {
		var entries []sqstypes.SendMessageBatchRequestEntry
		for j := i; j < i+10; j++ {
			env := []string{"nonprod", "production"}[j%2]
			body := string(fixture(b, fmt.Sprintf("evt-%05d", j), motoAccount, r.instances[env], "NON_COMPLIANT"))
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), MessageBody: aws.String(body)})
		}
		if _, err := r.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(r.queue), Entries: entries}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("queued %d events in %v", n, time.Since(sendStart).Round(time.Millisecond))

	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	for range 3 {
		in := events.NewIntake(sink, events.NewTriage(tenants(), r.provider, nil), rules, nil)
		p, err := events.NewPoller(r.sqs, in, events.PollerConfig{QueueURL: r.queue, Wait: time.Second, Workers: 8, StepTimeout: 30 * time.Second}, nil)
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); _ = p.Run(ctx) }()
	}
	testkit.Poll(20*time.Minute, func() bool {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		return len(sink.ids) == n
	})
	elapsed := time.Since(start)
	cancel()
	wg.Wait()
	close(stop)
	b.StopTimer()
	sink.mu.Lock()
	got := len(sink.ids)
	sink.mu.Unlock()
	rms, err := e.Remediations(context.Background(), false)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(elapsed.Seconds(), "s-to-recorded")
	b.ReportMetric(float64(n)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(n-got), "lost")
	b.ReportMetric(float64(len(rms)), "remediations")
	if got != n {
		b.Errorf("%d of %d events recorded", got, n)
	}
}
