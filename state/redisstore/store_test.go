package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/redisstore/redistest"
	"github.com/patchgate/patchgate/state/storetest"
)

// prefixes hands every store its own key prefix, so tests share one server
// without seeing each other's keys.
var prefixes atomic.Int64

var unsafePrefix = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

func uniquePrefix(tb testing.TB) string {
	return fmt.Sprintf("t%d-%s", prefixes.Add(1), unsafePrefix.ReplaceAllString(tb.Name(), "_"))
}

// openSocket opens a store the way production does (Open, which pings) and
// closes it when the test ends.
func openSocket(tb testing.TB, socket, prefix string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), Options{Network: "unix", Addr: socket, Prefix: prefix})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func TestContract(t *testing.T) {
	socket := redistest.Start(t)
	storetest.Run(t, func(t *testing.T) (state.Store, func() state.Store) {
		prefix := uniquePrefix(t)
		return openSocket(t, socket, prefix), func() state.Store { return openSocket(t, socket, prefix) }
	}, tamper{})
}

// TestAppendAcrossReplicas: the contract suite's writers share one Store, so
// they queue on its local lock. Here 8 Stores with their own connections play
// 8 replicas appending 1,250 entries each to one stream, so every head move
// goes through the script's compare-and-swap and its retry.
func TestAppendAcrossReplicas(t *testing.T) {
	socket := redistest.Start(t)
	prefix := uniquePrefix(t)
	ctx := t.Context()
	const replicas, each = 8, 1250
	var wg sync.WaitGroup
	errs := make(chan error, replicas)
	for r := range replicas {
		s := openSocket(t, socket, prefix)
		wg.Go(func() {
			for i := range each {
				if _, err := s.Append(ctx, "audit", fmt.Appendf(nil, "r%d-%d", r, i)); err != nil {
					errs <- fmt.Errorf("replica %d append %d: %w", r, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	v, err := openSocket(t, socket, prefix).Verify(ctx, "audit")
	if err != nil || !v.OK() || v.Checked != replicas*each {
		t.Fatalf("verify: %+v %v", v, err)
	}
}

// TestPrefixesIsolate: two stores with different prefixes on one server share
// nothing, which is what lets tests (and tenants) share a server.
func TestPrefixesIsolate(t *testing.T) {
	socket := redistest.Start(t)
	ctx := t.Context()
	a, b := openSocket(t, socket, "a"), openSocket(t, socket, "b")
	if _, err := a.Create(ctx, "k", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Create(ctx, "k", []byte("b")); err != nil {
		t.Fatalf("create in the second prefix: %v", err)
	}
	if recs, err := b.List(ctx, ""); err != nil || len(recs) != 1 || string(recs[0].Value) != "b" {
		t.Fatalf("list in b: %+v %v", recs, err)
	}
	keys, err := redistest.Client(t, socket).Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "{a}:") && !strings.HasPrefix(k, "{b}:") {
			t.Errorf("key %q outside the store prefixes", k)
		}
	}
}

// TestOpenUnreachable: Open pings, so a wrong address fails at start-up with
// the address in the message.
func TestOpenUnreachable(t *testing.T) {
	addr := t.TempDir() + "/nothing.sock"
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err := Open(ctx, Options{Network: "unix", Addr: addr})
	if err == nil {
		t.Fatal("Open of a missing socket succeeded")
	}
	if want := "ping redis at " + addr; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not mention %q", err, want)
	}
}

// tamper rewrites the Redis list behind the store, as someone with access to
// the server could.
type tamper struct{}

func (tamper) EditEntry(t *testing.T, s state.Store, stream string, seq int64, data []byte) {
	t.Helper()
	rs := s.(*Store)
	ctx := t.Context()
	raw, err := rs.rdb.LIndex(ctx, rs.keys.log(stream), seq-1).Result()
	if err != nil {
		t.Fatalf("tamper: read entry %d: %v", seq, err)
	}
	var e state.Entry
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		t.Fatalf("tamper: decode entry %d: %v", seq, err)
	}
	e.Data = data
	edited, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.rdb.LSet(ctx, rs.keys.log(stream), seq-1, edited).Err(); err != nil {
		t.Fatalf("tamper: rewrite entry %d: %v", seq, err)
	}
}

func (tamper) DeleteEntry(t *testing.T, s state.Store, stream string, seq int64) {
	t.Helper()
	rs := s.(*Store)
	ctx := t.Context()
	const tombstone = "tampered: deleted"
	if err := rs.rdb.LSet(ctx, rs.keys.log(stream), seq-1, tombstone).Err(); err != nil {
		t.Fatalf("tamper: mark entry %d: %v", seq, err)
	}
	if err := rs.rdb.LRem(ctx, rs.keys.log(stream), 1, tombstone).Err(); err != nil {
		t.Fatalf("tamper: remove entry %d: %v", seq, err)
	}
}

func (tamper) DropTail(t *testing.T, s state.Store, stream string) {
	t.Helper()
	rs := s.(*Store)
	if err := rs.rdb.RPop(t.Context(), rs.keys.log(stream)).Err(); err != nil {
		t.Fatalf("tamper: drop the tail: %v", err)
	}
}

func benchStore(b *testing.B) *Store {
	return openSocket(b, redistest.Start(b), uniquePrefix(b))
}

func BenchmarkGet(b *testing.B)    { storetest.BenchGet(b, benchStore(b)) }
func BenchmarkUpdate(b *testing.B) { storetest.BenchUpdate(b, benchStore(b)) }
func BenchmarkAppend(b *testing.B) { storetest.BenchAppend(b, benchStore(b)) }
