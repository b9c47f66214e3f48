package events_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/aws/events"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state/boltstore"
)

// cardChat counts the remediation cards the engine delivers: one
// remediation.card event per remediation whose debounce window closed.
type cardChat struct {
	notices
	mu    sync.Mutex
	cards map[string]bool
}

func (c *cardChat) RemediationChanged(_ context.Context, r *runbooks.Remediation, evs []runbooks.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range evs {
		if ev.Type == runbooks.EvRemediationCard {
			c.cards[r.ID] = true
		}
	}
	return nil
}

func (c *cardChat) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cards)
}

// burstTenants are n tenants, each in its own account with nonprod and
// production told apart by the patchgate:env tag, and the tags of perEnv
// instances in each environment.
func burstTenants(n, perEnv int) ([]runbooks.Tenant, tagMap, []string) {
	var ts []runbooks.Tenant
	tags := tagMap{}
	var ids []string
	for i := range n {
		acct := fmt.Sprintf("%012d", 100000000000+i)
		var envs []runbooks.Environment
		for _, env := range []string{"nonprod", "production"} {
			envs = append(envs, runbooks.Environment{Name: env, Targets: []runbooks.Target{{Cloud: runbooks.AWS, Account: acct,
				Regions: []string{region}, Selector: map[string]string{"patchgate:env": env}}}})
			for range perEnv {
				id := fmt.Sprintf("i-%017x", len(ids)+1)
				tags[id] = map[string]string{"patchgate:env": env}
				ids = append(ids, acct+"/"+id)
			}
		}
		ts = append(ts, runbooks.Tenant{Name: fmt.Sprintf("cu-%02d", i), Environments: envs})
	}
	return ts, tags, ids
}

// BenchmarkConfigEventHTTPBurst10k: 10,000 documented compliance events
// (unique IDs, five per instance, over 4 tenants × 2 environments × 250
// instances) POSTed signed to the HTTP intake by 32 senders at once, into
// the real engine on bbolt; every 200 means the event is durably recorded.
// Then the debounce window ends (the test clock moves past it) and the
// engine's ticks post the cards. It reports the time until every event is
// recorded, until every card is delivered, the peak heap in use (intake,
// engine and senders: one process), events lost (10,000 minus the unique
// IDs the engine took) and the cards (want tenants × environments × one
// window = 8). It runs once whatever b.N is:
//
//	go test -run '^$' -bench BenchmarkConfigEventHTTPBurst10k -benchtime 1x ./providers/aws/events/
func BenchmarkConfigEventHTTPBurst10k(b *testing.B) {
	const (
		tenantN = 4
		perEnv  = 250
		senders = 32
	)
	// PATCHGATE_BENCH_EVENTS scales the burst down to see how the time
	// grows with it.
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("PATCHGATE_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	ts, tags, instances := burstTenants(tenantN, perEnv)
	ctx := context.Background()
	clock := testkit.NewClock(time.Date(2026, 12, 3, 9, 15, 0, 0, time.UTC))
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	fleet, err := sim.New(sim.Config{Tenants: ts})
	if err != nil {
		b.Fatal(err)
	}
	chat := &cardChat{cards: map[string]bool{}}
	e, err := runbooks.New(runbooks.Config{Replica: "bench"}, runbooks.Deps{Store: st, Clock: clock, Inventory: fleet, Backups: fleet,
		Patcher: fleet, Sensors: fleet, Health: fleet, Chat: chat, Log: slog.New(slog.DiscardHandler)}, ts, runbooks.DefaultPipeline())
	if err != nil {
		b.Fatal(err)
	}
	sink := &countingEngine{Engine: e, ids: map[string]bool{}}
	secret := []byte("bench-intake-hmac-key")
	in := events.NewIntake(sink, events.NewTriage(ts, tags, clock), rules, nil)
	srv := httptest.NewServer(bot.IntakeHandler(in, bot.IntakeOptions{Secret: secret, Clock: clock}))
	b.Cleanup(srv.Close)
	bodies := make([][]byte, n)
	envs := map[int]bool{} // the tenant environments the burst touches
	for i := range bodies {
		envs[(i%len(instances))/perEnv] = true
		acct, id, _ := strings.Cut(instances[i%len(instances)], "/")
		bodies[i] = fixture(b, fmt.Sprintf("evt-%05d", i), acct, id, "NON_COMPLIANT")
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}

	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	b.ResetTimer()
	start := time.Now()
	var next, refused, retried atomic.Int64
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(30 * time.Second):
				sink.mu.Lock()
				got := len(sink.ids)
				sink.mu.Unlock()
				fmt.Fprintf(os.Stderr, "burst: %d of %d recorded after %v (%d retried)\n", got, n, time.Since(start).Round(time.Second), retried.Load())
			}
		}
	}()
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				// A 503 (the remediation changed too fast) is retried, as
				// the forwarder of the events would.
				for try := 0; ; try++ {
					req, _ := http.NewRequest(http.MethodPost, srv.URL+bot.PathConfigEvents, bytes.NewReader(bodies[i]))
					bot.SignIntake(req.Header, secret, clock.Now(), bodies[i])
					resp, err := client.Do(req)
					status := 0
					if resp != nil {
						status = resp.StatusCode
						resp.Body.Close()
					}
					if err == nil && status == http.StatusOK {
						break
					}
					if status != http.StatusServiceUnavailable || try == 20 {
						refused.Add(1)
						break
					}
					retried.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	recorded := time.Since(start)
	clock.Advance(runbooks.DefaultRemediationDebounce + time.Second)
	for range 100 {
		if chat.count() >= len(envs) {
			break
		}
		if err := e.Tick(ctx); err != nil {
			b.Fatal(err)
		}
	}
	carded := time.Since(start)
	close(stop)
	<-sampled
	b.StopTimer()
	sink.mu.Lock()
	got := len(sink.ids)
	sink.mu.Unlock()
	b.ReportMetric(recorded.Seconds(), "s-to-recorded")
	b.ReportMetric(carded.Seconds(), "s-to-cards")
	b.ReportMetric(float64(n)/recorded.Seconds(), "events/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(n-got), "lost")
	b.ReportMetric(float64(refused.Load()), "refused")
	b.ReportMetric(float64(retried.Load()), "retried-503")
	b.ReportMetric(float64(chat.count()), "cards")
	if got != n || refused.Load() != 0 || chat.count() != len(envs) {
		b.Errorf("%d of %d events recorded, %d refused, %d cards (want one per environment touched: %d)", got, n, refused.Load(), chat.count(), len(envs))
	}
}
