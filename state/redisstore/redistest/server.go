package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/patchgate/patchgate/internal/testkit"
)

// ServerOptions shape a Server beyond Start's throwaway defaults.
type ServerOptions struct {
	// AOF turns on the append-only file with fsync on every write, so a
	// server stopped and restarted on the same directory keeps every write
	// it acknowledged.
	AOF bool
	// Args are extra redis-server arguments (e.g. --tls-port ...).
	Args []string
}

// Server is a private redis-server that a test can stop and start again on
// the same unix socket and data directory.
type Server struct {
	t      testing.TB
	bin    string
	args   []string
	Socket string // unix socket path (plain, even when TLS is on)
	Dir    string // data directory (the AOF lives here)
	cmd    *exec.Cmd
	exited chan struct{}
	logs   testkit.SyncBuffer
}

// StartServer runs a redis-server listening on a unix socket in a fresh
// directory, stopped by t.Cleanup. It skips (or fails, under
// PATCHGATE_REQUIRE_SERVICES) when redis-server is missing.
func StartServer(t testing.TB, o ServerOptions) *Server {
	t.Helper()
	s := &Server{t: t, bin: binary(t)}
	s.Dir = socketDir(t)
	s.Socket = filepath.Join(s.Dir, "redis.sock")
	s.args = []string{"--port", "0", "--unixsocket", s.Socket, "--unixsocketperm", "700",
		"--dir", s.Dir, "--save", ""}
	if o.AOF {
		s.args = append(s.args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		s.args = append(s.args, "--appendonly", "no")
	}
	s.args = append(s.args, o.Args...)
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// binary finds redis-server or skips/fails the test.
func binary(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("redis-server not found and %s is set: %v", RequireEnv, err)
		}
		t.Skipf("redis-server not found (set %s to fail instead): %v", RequireEnv, err)
	}
	return bin
}

// Start (re)starts the server and waits until it answers PING (which, with
// an AOF, is after the AOF has been loaded).
func (s *Server) Start() {
	s.t.Helper()
	if s.running() {
		s.t.Fatalf("redis-server on %s is already running", s.Socket)
	}
	s.cmd = exec.Command(s.bin, s.args...)
	s.cmd.Stdout, s.cmd.Stderr = &s.logs, &s.logs
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	s.exited = make(chan struct{})
	cmd, exited := s.cmd, s.exited
	go func() { _ = cmd.Wait(); close(exited) }()
	if err := waitForPing(s.Socket, exited); err != nil {
		s.t.Fatalf("redis-server on %s: %v\nserver output:\n%s", s.Socket, err, s.logs.String())
	}
}

// Stop shuts the server down the way an orchestrator does (SIGTERM: Redis
// finishes the command it is running, fsyncs the AOF and exits) and waits
// for it to exit. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	if !s.running() {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.t.Logf("redis-server pid %d ignored SIGTERM; killing it", s.cmd.Process.Pid)
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// Kill stops the server at once (SIGKILL), as an OOM kill or a lost node
// would: no shutdown, no final fsync. With AOF and fsync always, every
// write it acknowledged is still on disk.
func (s *Server) Kill() {
	if !s.running() {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	// A killed server leaves its socket file behind; the next start
	// replaces it.
}

func (s *Server) running() bool {
	if s.exited == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// Logs returns what the server printed so far.
func (s *Server) Logs() string { return s.logs.String() }

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitTCP waits until a plain-TCP Redis (a server or a sentinel) at addr
// answers PING.
func WaitTCP(t testing.TB, addr string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(startTimeout)
	var err error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err = c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing answered PING on %s within %s: %v", addr, startTimeout, err)
}

func itoa(n int) string { return strconv.Itoa(n) }

// Addr formats a loopback address.
func Addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// String names the server in messages.
func (s *Server) String() string { return fmt.Sprintf("redis-server on %s", s.Socket) }
