package boltstore

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/storetest"
)

// openFile opens path and closes it when the test ends.
func openFile(tb testing.TB, path string) *Store {
	tb.Helper()
	s, err := Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (state.Store, func() state.Store) {
		path := filepath.Join(t.TempDir(), "state.db")
		return openFile(t, path), func() state.Store { return openFile(t, path) }
	}, tamper{})
}

// TestSecondOpenFailsFast: the file lock keeps a second opener (here in the
// same process, which flock treats like another process) out, quickly and
// with a message naming the file.
func TestSecondOpenFailsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	openFile(t, path)
	start := time.Now()
	s, err := Open(path, WithLockTimeout(100*time.Millisecond))
	if err == nil {
		s.Close()
		t.Fatal("second Open of a locked file succeeded")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("second Open took %s to fail", took)
	}
	if want := "state file " + path + " is in use by another patchgate process"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
}

// TestInjectedClock: lease and claim expiry follow the Now option, so callers
// can test expiry without sleeping.
func TestInjectedClock(t *testing.T) {
	now := time.Date(2026, 6, 28, 2, 0, 0, 0, time.UTC)
	s, err := Open(filepath.Join(t.TempDir(), "state.db"), WithNow(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()
	a, err := s.AcquireLease(ctx, "k", "a", time.Hour)
	if err != nil || !a.Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("acquire: %+v %v", a, err)
	}
	if ok, _ := s.Claim(ctx, "c", time.Hour); !ok {
		t.Fatal("first claim refused")
	}
	now = now.Add(time.Hour)
	b, err := s.AcquireLease(ctx, "k", "b", time.Hour)
	if err != nil || b.Token <= a.Token {
		t.Fatalf("acquire after the clock moved: %+v %v", b, err)
	}
	if ok, _ := s.Claim(ctx, "c", time.Hour); !ok {
		t.Fatal("claim after the clock moved refused")
	}
	e, err := s.Append(ctx, "audit", []byte("x"))
	if err != nil || !e.Time.Equal(now) {
		t.Fatalf("append stamped %v, want %v (%v)", e.Time, now, err)
	}
}

// tamper edits the bbolt file directly, the way someone with the file would.
type tamper struct{}

func (tamper) EditEntry(t *testing.T, s state.Store, stream string, seq int64, data []byte) {
	t.Helper()
	editStream(t, s, stream, func(b *bolt.Bucket) error {
		var e state.Entry
		if err := json.Unmarshal(b.Get(seqKey(seq)), &e); err != nil {
			return err
		}
		e.Data = data
		raw, err := json.Marshal(e)
		if err != nil {
			return err
		}
		return b.Put(seqKey(seq), raw)
	})
}

func (tamper) DeleteEntry(t *testing.T, s state.Store, stream string, seq int64) {
	t.Helper()
	editStream(t, s, stream, func(b *bolt.Bucket) error { return b.Delete(seqKey(seq)) })
}

func (tamper) DropTail(t *testing.T, s state.Store, stream string) {
	t.Helper()
	editStream(t, s, stream, func(b *bolt.Bucket) error {
		k, _ := b.Cursor().Last()
		return b.Delete(k)
	})
}

func editStream(t *testing.T, s state.Store, stream string, fn func(b *bolt.Bucket) error) {
	t.Helper()
	err := s.(*Store).db.Update(func(tx *bolt.Tx) error {
		return fn(tx.Bucket(bucketStreams).Bucket([]byte(stream)))
	})
	if err != nil {
		t.Fatalf("tamper with stream %s: %v", stream, err)
	}
}

func benchStore(b *testing.B) *Store { return openFile(b, filepath.Join(b.TempDir(), "state.db")) }

func BenchmarkGet(b *testing.B)    { storetest.BenchGet(b, benchStore(b)) }
func BenchmarkUpdate(b *testing.B) { storetest.BenchUpdate(b, benchStore(b)) }
func BenchmarkAppend(b *testing.B) { storetest.BenchAppend(b, benchStore(b)) }
