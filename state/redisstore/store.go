// Package redisstore is the distributed state.Store: several patchgate
// replicas share one Redis (standalone, Sentinel or Cluster).
//
// Every read-modify-write is one Lua script or one SET NX PX, never a GET
// followed by a SET from Go, so Redis' single-threaded execution makes each
// step atomic across replicas. All keys of a store share the hash tag
// {prefix}, so multi-key scripts also run on Redis Cluster.
package redisstore

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/patchgate/patchgate/state"
)

var _ state.Store = (*Store)(nil)

// DefaultPrefix namespaces keys when no prefix is given.
const DefaultPrefix = "patchgate"

// Store is a state.Store on Redis.
type Store struct {
	rdb        redis.UniversalClient
	keys       keyspace
	now        func() time.Time
	ownsClient bool
	closed     atomic.Bool
	appends    appendStripes
}

// Option configures New.
type Option func(*Store)

// WithNow sets the clock that stamps stream entries. Lease and claim expiry
// use Redis' own clock and TTLs, so replicas with skewed clocks still agree.
func WithNow(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// New wraps a client the caller owns: Close marks the store closed but leaves
// the client open. prefix namespaces every key (DefaultPrefix if empty); it
// must not contain '{' or '}', since it becomes the keys' hash tag.
func New(client redis.UniversalClient, prefix string, opts ...Option) *Store {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if strings.ContainsAny(prefix, "{}") {
		panic(fmt.Sprintf("redisstore: prefix %q must not contain '{' or '}'", prefix))
	}
	s := &Store{rdb: client, keys: keyspace{base: "{" + prefix + "}:"}, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Options locate a Redis server for Open.
type Options struct {
	Network  string // "tcp" (default) or "unix"
	Addr     string // host:port, or a socket path for "unix"; unused with Sentinel
	Password string
	DB       int
	Prefix   string
	// TLS, when set, encrypts every connection (to the server and, with
	// Sentinel, to the sentinels too). Build it with TLSFiles.Config.
	TLS *tls.Config
	// Sentinel, when set, asks the sentinels for the current master and
	// follows it through failovers instead of dialling Addr.
	Sentinel *Sentinel
}

// Sentinel names a Redis Sentinel deployment.
type Sentinel struct {
	MasterName string   // the name the sentinels monitor the master under
	Addrs      []string // host:port of one or more sentinels
	Password   string   // the sentinels' own requirepass, if any
}

// Open connects to Redis (one server, or the master a set of sentinels
// names), checks it answers, and returns a store that closes the connection
// on Close.
func Open(ctx context.Context, o Options, opts ...Option) (*Store, error) {
	if strings.ContainsAny(o.Prefix, "{}") {
		return nil, fmt.Errorf("open redis store: prefix %q must not contain '{' or '}'", o.Prefix)
	}
	client, where, err := newClient(o)
	if err != nil {
		return nil, err
	}
	if err := client.Ping(ctx).Err(); err != nil {
		return nil, errors.Join(fmt.Errorf("ping redis at %s: %w", where, redisErr(err)), client.Close())
	}
	s := New(client, o.Prefix, opts...)
	s.ownsClient = true
	return s, nil
}

// newClient builds the go-redis client o describes and names where it points
// for messages (never with the password).
func newClient(o Options) (redis.UniversalClient, string, error) {
	if sn := o.Sentinel; sn != nil {
		if sn.MasterName == "" || len(sn.Addrs) == 0 {
			return nil, "", errors.New("open redis store: sentinel needs a master name and at least one sentinel address")
		}
		c := redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: sn.MasterName, SentinelAddrs: sn.Addrs, SentinelPassword: sn.Password,
			Password: o.Password, DB: o.DB, TLSConfig: o.TLS,
		})
		return c, fmt.Sprintf("master %q of sentinels %s", sn.MasterName, strings.Join(sn.Addrs, ",")), nil
	}
	c := redis.NewClient(&redis.Options{Network: o.Network, Addr: o.Addr, Password: o.Password, DB: o.DB, TLSConfig: o.TLS})
	return c, o.Addr, nil
}

// Close marks the store closed (later calls return state.ErrClosed) and
// closes the client if Open created it.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return state.ErrClosed
	}
	if s.ownsClient {
		if err := s.rdb.Close(); err != nil {
			return fmt.Errorf("close redis client: %w", err)
		}
	}
	return nil
}

// check refuses calls after Close.
func (s *Store) check() error {
	if s.closed.Load() {
		return state.ErrClosed
	}
	return nil
}

// redisErr maps go-redis errors onto the state sentinels. Connection
// failures and a server that cannot serve yet (loading its AOF, a failover
// under way) become state.ErrUnavailable, so the engine and the bot can tell
// "try again shortly" from a bug.
func redisErr(err error) error {
	switch {
	case errors.Is(err, redis.Nil):
		return state.ErrNotFound
	case errors.Is(err, redis.ErrClosed):
		return fmt.Errorf("%w (%v)", state.ErrClosed, err)
	case unavailable(err):
		return fmt.Errorf("%w: %w", state.ErrUnavailable, err)
	}
	return err
}

// keyspace names every Redis key of a store.
type keyspace struct{ base string }

func (k keyspace) record(key string) string  { return k.base + "rec:" + key }
func (k keyspace) recordIndex() string       { return k.base + "recs" }
func (k keyspace) claim(key string) string   { return k.base + "claim:" + key }
func (k keyspace) lease(key string) string   { return k.base + "lease:" + key }
func (k keyspace) fence(key string) string   { return k.base + "fence:" + key }
func (k keyspace) head(stream string) string { return k.base + "head:" + stream }
func (k keyspace) log(stream string) string  { return k.base + "log:" + stream }
func (k keyspace) streamIndex() string       { return k.base + "streams" }

// lexRange is the ZRANGEBYLEX bounds of every member starting with prefix.
// The upper bound is the prefix with its last byte incremented (dropping
// trailing 0xff bytes), so "a/" stops before "a0" and never reaches "ab".
func lexRange(prefix string) (lo, hi string) {
	if prefix == "" {
		return "-", "+"
	}
	lo = "[" + prefix
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return lo, "(" + string(b[:i+1])
		}
	}
	return lo, "+"
}
