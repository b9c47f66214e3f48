package redisstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/redisstore/redistest"
)

// roundTrip proves a store really works over its connection: a record
// written, read back and a chained append.
func roundTrip(t *testing.T, s *Store) {
	t.Helper()
	ctx := t.Context()
	if _, err := s.Create(ctx, "k", []byte("v1")); err != nil {
		t.Fatalf("create: %v", err)
	}
	r, err := s.Get(ctx, "k")
	if err != nil || string(r.Value) != "v1" || r.Version != 1 {
		t.Fatalf("get = %+v, %v", r, err)
	}
	if _, err := s.Append(ctx, "audit/x", []byte("e1")); err != nil {
		t.Fatalf("append: %v", err)
	}
	if v, err := s.Verify(ctx, "audit/x"); err != nil || !v.OK() || v.Checked != 1 {
		t.Fatalf("verify = %+v, %v", v, err)
	}
}

// TestRedisTLS runs a real redis-server with TLS and client-certificate
// authentication and checks which client settings get through.
func TestRedisTLS(t *testing.T) {
	certs := redistest.MakeCerts(t)
	port := redistest.FreePort(t)
	redistest.StartServer(t, redistest.ServerOptions{Args: certs.ServerArgs(port, true)})
	addr := redistest.Addr(port)
	full := TLSFiles{CAFile: certs.CA, CertFile: certs.ClientCert, KeyFile: certs.ClientKey}

	open := func(files *TLSFiles) (*Store, error) {
		o := Options{Addr: addr, Prefix: uniquePrefix(t)}
		if files != nil {
			c, err := files.Config()
			if err != nil {
				t.Fatalf("tls config: %v", err)
			}
			o.TLS = c
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		s, err := Open(ctx, o)
		if err == nil {
			t.Cleanup(func() { _ = s.Close() })
		}
		return s, err
	}

	t.Run("mutual TLS works", func(t *testing.T) {
		s, err := open(&full)
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, s)
	})
	t.Run("server name checked", func(t *testing.T) {
		named := full
		named.ServerName = "redis.test"
		if _, err := open(&named); err != nil {
			t.Fatalf("redis.test is in the certificate: %v", err)
		}
		named.ServerName = "evil.test"
		if _, err := open(&named); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("evil.test is not in the certificate, got %v", err)
		}
	})
	for _, tc := range []struct {
		name  string
		files *TLSFiles
		want  string
	}{
		{"unknown CA refused", &TLSFiles{CertFile: certs.ClientCert, KeyFile: certs.ClientKey}, "certificate"},
		{"no client certificate refused", &TLSFiles{CAFile: certs.CA}, ""},
		{"plain text refused", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := open(tc.files)
			if err == nil {
				t.Fatal("connected, want a refusal")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
	t.Run("insecure skip verify connects to an unknown CA", func(t *testing.T) {
		if _, err := open(&TLSFiles{CertFile: certs.ClientCert, KeyFile: certs.ClientKey, InsecureSkipVerify: true}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTLSFilesErrors(t *testing.T) {
	certs := redistest.MakeCerts(t)
	for _, tc := range []struct {
		name  string
		files TLSFiles
		want  string
	}{
		{"missing CA", TLSFiles{CAFile: certs.Dir + "/nope.pem"}, "ca_file"},
		{"CA not PEM", TLSFiles{CAFile: certs.ServerKey}, "no PEM certificate"},
		{"cert without key", TLSFiles{CertFile: certs.ClientCert}, "go together"},
		{"key does not match", TLSFiles{CertFile: certs.ClientCert, KeyFile: certs.ServerKey}, "cert_file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.files.Config()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// TestRedisSentinel finds the master through a real Redis Sentinel.
func TestRedisSentinel(t *testing.T) {
	port := redistest.FreePort(t)
	redistest.StartServer(t, redistest.ServerOptions{Args: []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1"}})
	redistest.WaitTCP(t, redistest.Addr(port))
	sentinel := redistest.StartSentinel(t, "pgmaster", redistest.Addr(port))

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	s, err := Open(ctx, Options{Prefix: uniquePrefix(t), Sentinel: &Sentinel{MasterName: "pgmaster", Addrs: []string{sentinel}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	roundTrip(t, s)
	// The record is on the master the sentinel named.
	direct := openTCP(t, redistest.Addr(port), s.keys.base)
	if r, err := direct.Get(ctx, "k"); err != nil || string(r.Value) != "v1" {
		t.Fatalf("read on the master directly = %+v, %v", r, err)
	}

	if _, err := Open(ctx, Options{Sentinel: &Sentinel{MasterName: "other", Addrs: []string{sentinel}}}); err == nil {
		t.Fatal("opened a master the sentinel does not monitor")
	}
	if _, err := Open(ctx, Options{Sentinel: &Sentinel{Addrs: []string{sentinel}}}); err == nil || !strings.Contains(err.Error(), "master name") {
		t.Fatalf("no master name: %v", err)
	}
}

// openTCP opens a second store on the same keys as base ("{prefix}:").
func openTCP(t *testing.T, addr, base string) *Store {
	t.Helper()
	prefix := strings.TrimSuffix(strings.TrimPrefix(base, "{"), "}:")
	s, err := Open(t.Context(), Options{Addr: addr, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestUnavailableAndBack: with the server stopped every kind of call fails
// with state.ErrUnavailable; restarted on its AOF, the store carries on with
// the same client and nothing acknowledged was lost.
func TestUnavailableAndBack(t *testing.T) {
	srv := redistest.StartServer(t, redistest.ServerOptions{AOF: true})
	s := openSocket(t, srv.Socket, uniquePrefix(t))
	ctx := t.Context()
	rec, cerr := s.Create(ctx, "cycle", []byte("v1"))
	if cerr != nil {
		t.Fatal(cerr)
	}
	if _, err := s.Append(ctx, "audit/c", []byte("e1")); err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	calls := map[string]func() error{
		"get":    func() error { _, err := s.Get(ctx, "cycle"); return err },
		"update": func() error { _, err := s.Update(ctx, "cycle", []byte("v2"), rec.Version); return err },
		"claim":  func() error { _, err := s.Claim(ctx, "click", time.Minute); return err },
		"lease":  func() error { _, err := s.AcquireLease(ctx, "cycle/c", "r1", time.Minute); return err },
		"append": func() error { _, err := s.Append(ctx, "audit/c", []byte("e2")); return err },
		"list":   func() error { _, err := s.List(ctx, ""); return err },
		"verify": func() error { _, err := s.Verify(ctx, "audit/c"); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, state.ErrUnavailable) {
			t.Errorf("%s with redis down: %v, want state.ErrUnavailable", name, err)
		}
	}

	srv.Start()
	// go-redis re-dials a failed pool in the background about once a
	// second, so the first calls after the restart may still fail.
	var (
		r   state.Record
		err error
	)
	testkit.Poll(15*time.Second, func() bool {
		r, err = s.Get(ctx, "cycle")
		return !errors.Is(err, state.ErrUnavailable)
	})
	if err != nil || string(r.Value) != "v1" || r.Version != 1 {
		t.Fatalf("after restart get = %+v, %v (the failed update must not have applied)", r, err)
	}
	if _, err := s.Update(ctx, "cycle", []byte("v2"), 1); err != nil {
		t.Fatalf("update after restart: %v", err)
	}
	e, err := s.Append(ctx, "audit/c", []byte("e2"))
	if err != nil || e.Seq != 2 {
		t.Fatalf("append after restart = %+v, %v (want seq 2: the refused append must not count)", e, err)
	}
	if v, err := s.Verify(ctx, "audit/c"); err != nil || !v.OK() || v.Checked != 2 {
		t.Fatalf("verify after restart = %+v, %v", v, err)
	}
}

// TestRedisSentinelFailover stops the master under a store opened through
// Sentinel: calls fail as unavailable while the sentinel promotes the
// replica, then the same store carries on against the new master with the
// data written before the failover.
func TestRedisSentinelFailover(t *testing.T) {
	mport, rport := redistest.FreePort(t), redistest.FreePort(t)
	master := redistest.StartServer(t, redistest.ServerOptions{Args: []string{"--port", strconv.Itoa(mport), "--bind", "127.0.0.1"}})
	redistest.StartServer(t, redistest.ServerOptions{Args: []string{"--port", strconv.Itoa(rport), "--bind", "127.0.0.1",
		"--replicaof", "127.0.0.1", strconv.Itoa(mport)}})
	redistest.WaitTCP(t, redistest.Addr(mport))
	sentinel := redistest.StartSentinel(t, "pgmaster", redistest.Addr(mport))

	ctx := t.Context()
	s, err := Open(ctx, Options{Prefix: uniquePrefix(t), Sentinel: &Sentinel{MasterName: "pgmaster", Addrs: []string{sentinel}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.Create(ctx, "cycle", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	// The replica has the record before the master goes.
	replica := openTCP(t, redistest.Addr(rport), s.keys.base)
	testkit.Eventually(t, 15*time.Second, "the replica to have the record", func() bool {
		r, err := replica.Get(ctx, "cycle")
		return err == nil && string(r.Value) == "v1"
	})

	master.Stop()
	// go-redis retries dials for a second or two, which may already span
	// the failover; otherwise the call fails as unavailable.
	if r, err := s.Get(ctx, "cycle"); (err != nil && !errors.Is(err, state.ErrUnavailable)) || (err == nil && string(r.Value) != "v1") {
		t.Errorf("get with the master down: %+v, %v; want v1 or state.ErrUnavailable", r, err)
	}
	var r state.Record
	testkit.Eventually(t, 60*time.Second, "the store to reach the promoted replica", func() bool {
		r, err = s.Update(ctx, "cycle", []byte("v2"), 1)
		if err != nil && !errors.Is(err, state.ErrUnavailable) {
			t.Fatalf("update during the failover: %v (want success or state.ErrUnavailable)", err)
		}
		return err == nil
	})
	if r.Version != 2 {
		t.Fatalf("after failover: %+v", r)
	}
	if got, err := replica.Get(ctx, "cycle"); err != nil || string(got.Value) != "v2" {
		t.Fatalf("the write did not land on the promoted replica: %+v, %v", got, err)
	}
}
