// Package boltstore is the embedded state.Store: one bbolt file, one
// patchgate replica.
//
// Every check-and-put runs inside a single db.Update, so bbolt's one-writer
// rule makes it atomic; the file lock makes sure only one process writes the
// file at all.
package boltstore

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/patchgate/patchgate/state"
)

var _ state.Store = (*Store)(nil)

// Top-level buckets. Streams get one nested bucket each under bucketStreams,
// keyed by 8-byte big-endian sequence so a cursor walks them in order.
var (
	bucketRecords = []byte("records") // key -> 8-byte version + value
	bucketClaims  = []byte("claims")  // key -> 8-byte expiry (Unix ns)
	bucketLeases  = []byte("leases")  // key -> JSON leaseValue
	bucketFences  = []byte("fences")  // key -> 8-byte last fencing token
	bucketStreams = []byte("streams") // stream -> bucket of seq -> JSON entry
	bucketHeads   = []byte("heads")   // stream -> 8-byte seq + hash
)

// DefaultLockTimeout is how long Open waits for the file lock. A second
// process should fail fast with a clear message, not hang behind the first.
const DefaultLockTimeout = 500 * time.Millisecond

// Store is a state.Store on a bbolt file.
type Store struct {
	db      *bolt.DB
	path    string
	now     func() time.Time
	appends appendGroup

	closeMu sync.Mutex
	closed  atomic.Bool
}

// Option configures Open.
type Option func(*config)

type config struct {
	now         func() time.Time
	lockTimeout time.Duration
}

// WithNow sets the clock used for lease and claim expiry and entry times.
func WithNow(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithLockTimeout sets how long Open waits for another process to release the
// file before it gives up.
func WithLockTimeout(d time.Duration) Option { return func(c *config) { c.lockTimeout = d } }

// Open opens (creating if needed) the state file at path.
func Open(path string, opts ...Option) (*Store, error) {
	cfg := config{now: time.Now, lockTimeout: DefaultLockTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: cfg.lockTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("state file %s is in use by another patchgate process (bbolt lock): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open state file %s: %w", path, err)
	}
	s := &Store{db: db, path: path, now: cfg.now}
	if err := s.init(); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return s, nil
}

// init creates the buckets and drops claims and leases that expired while
// the file was closed; the fence counters stay, so tokens keep increasing.
func (s *Store) init() error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketRecords, bucketClaims, bucketLeases, bucketFences, bucketStreams, bucketHeads, bucketExpiry} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return sweepExpired(tx, s.now())
	})
	if err != nil {
		return fmt.Errorf("initialise state file %s: %w", s.path, err)
	}
	return nil
}

// Close closes the file. A second Close returns state.ErrClosed.
func (s *Store) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed.Load() {
		return state.ErrClosed
	}
	s.closed.Store(true)
	// bbolt's Close waits for running transactions, so nothing is cut short.
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close state file %s: %w", s.path, err)
	}
	return nil
}

// update runs fn in one write transaction. fn returning an error rolls the
// transaction back, which is also how refusals (conflicts, held leases) avoid
// an fsync: nothing was written.
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	if s.closed.Load() {
		return state.ErrClosed
	}
	return closedErr(s.db.Update(fn))
}

// view runs fn in one read transaction.
func (s *Store) view(fn func(tx *bolt.Tx) error) error {
	if s.closed.Load() {
		return state.ErrClosed
	}
	return closedErr(s.db.View(fn))
}

// closedErr maps bbolt's "not open" (a call racing Close) to state.ErrClosed.
func closedErr(err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return state.ErrClosed
	}
	return err
}

// errRefused rolls back a transaction that decided not to write (a claim
// already taken); the caller turns it into its normal result.
var errRefused = errors.New("boltstore: refused")

// validKey rejects the one key bbolt cannot store.
func validKey(what, key string) error {
	if key == "" {
		return fmt.Errorf("%s: empty key", what)
	}
	if len(key) > bolt.MaxKeySize {
		return fmt.Errorf("%s: key longer than %d bytes", what, bolt.MaxKeySize)
	}
	return nil
}
