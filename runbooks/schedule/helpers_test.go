package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/boltstore"
	"github.com/patchgate/patchgate/state/redisstore"
	"github.com/patchgate/patchgate/state/redisstore/redistest"
)

// newClock is the shared test clock, settable and shared by replicas and
// the bolt store, so leases and claims expire on test time.
func newClock(t time.Time) *testkit.Clock { return testkit.NewClock(t) }

// backend opens one store shared by every replica of a test. expiresOnClock
// says whether leases expire on the fake clock (bbolt) or on the server's
// real clock (Redis).
type backend struct {
	name           string
	open           func(t *testing.T, clk *testkit.Clock) state.Store
	expiresOnClock bool
}

var backends = []backend{
	{"bolt", openBolt, true},
	{"redis", openRedis, false},
}

func openBolt(t *testing.T, clk *testkit.Clock) state.Store {
	t.Helper()
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "state.db"), boltstore.WithNow(clk.Now))
	if err != nil {
		t.Fatalf("open bolt store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openRedis(t *testing.T, clk *testkit.Clock) state.Store {
	t.Helper()
	sock := redistest.Start(t)
	s, err := redisstore.Open(context.Background(),
		redisstore.Options{Network: "unix", Addr: sock, Prefix: "sched"}, redisstore.WithNow(clk.Now))
	if err != nil {
		t.Fatalf("open redis store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// recorder counts runs per (job, scheduled time) across replicas.
type recorder struct {
	mu   sync.Mutex
	runs map[string]int
}

func newRecorder() *recorder { return &recorder{runs: map[string]int{}} }

func (r *recorder) job(name string) func(context.Context, time.Time) error {
	return func(_ context.Context, at time.Time) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.runs[fmt.Sprintf("%s@%s", name, at.UTC().Format(time.RFC3339))]++
		return nil
	}
}

// keys returns every recorded "job@time", sorted, failing on any run twice.
func (r *recorder) keys(t *testing.T) []string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for k, n := range r.runs {
		if n != 1 {
			t.Errorf("%s ran %d times, want once", k, n)
		}
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// newReplica builds a Scheduler named replica with the given jobs.
func newReplica(t *testing.T, store state.Store, clk *testkit.Clock, replica string, logs *testkit.SyncBuffer, jobs ...Job) *Scheduler {
	t.Helper()
	var out *slog.Logger
	if logs != nil {
		out = slog.New(slog.NewTextHandler(logs, nil))
	} else {
		out = slog.New(slog.DiscardHandler)
	}
	s := New(store, clk, Options{Replica: replica, LeaseTTL: 30 * time.Second, Logger: out})
	for _, j := range jobs {
		if err := s.Add(j); err != nil {
			t.Fatalf("add %s: %v", j.Name, err)
		}
	}
	return s
}

func tick(t *testing.T, s *Scheduler) []Firing {
	t.Helper()
	fired, err := s.Tick(context.Background())
	if err != nil {
		t.Fatalf("tick %s: %v", s.opts.Replica, err)
	}
	return fired
}
