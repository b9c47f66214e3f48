// Package redistest starts a real, private redis-server for tests.
//
// The server listens only on a unix socket in a temporary directory, keeps
// nothing on disk, and is stopped by t.Cleanup. Tests sharing one server keep
// apart by using distinct key prefixes.
package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/patchgate/patchgate/internal/testkit"
)

// RequireEnv, when set, turns a missing redis-server into a failure instead
// of a skip, so CI cannot pass by silently testing nothing.
const RequireEnv = "PATCHGATE_REQUIRE_SERVICES"

// startTimeout bounds how long a server may take to answer PING.
const startTimeout = 10 * time.Second

// Start runs a private redis-server and returns its unix socket path once it
// answers PING. It skips the test when redis-server is not installed, unless
// PATCHGATE_REQUIRE_SERVICES is set.
func Start(t testing.TB) (socketPath string) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("redis-server not found and %s is set: %v", RequireEnv, err)
		}
		t.Skipf("redis-server not found (set %s to fail instead): %v", RequireEnv, err)
	}
	dir := socketDir(t)
	socketPath = filepath.Join(dir, "redis.sock")
	var logs testkit.SyncBuffer
	cmd := exec.Command(bin,
		"--port", "0",
		"--unixsocket", socketPath,
		"--unixsocketperm", "700",
		"--dir", dir,
		"--save", "",
		"--appendonly", "no",
	)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { stop(t, cmd, exited) })

	if err := waitForPing(socketPath, exited); err != nil {
		t.Fatalf("redis-server on %s: %v\nserver output:\n%s", socketPath, err, logs.String())
	}
	return socketPath
}

// Client returns a go-redis client for the server at socketPath, closed by
// t.Cleanup.
func Client(t testing.TB, socketPath string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: socketPath})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// socketDir is a temporary directory short enough for a unix socket path
// (about 108 bytes on Linux); t.TempDir embeds the test name and can exceed
// that for deeply nested subtests.
func socketDir(t testing.TB) string {
	dir := t.TempDir()
	if len(dir) < 80 {
		return dir
	}
	dir, err := os.MkdirTemp("", "redis")
	if err != nil {
		t.Fatalf("make redis socket dir: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// waitForPing polls the socket until the server answers or exits.
func waitForPing(socketPath string, exited <-chan struct{}) error {
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: socketPath, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(startTimeout)
	var err error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("server exited before answering PING")
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err = c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("no PING reply within %s: %w", startTimeout, err)
}

// stop terminates the server and waits for it, killing it if it lingers.
func stop(t testing.TB, cmd *exec.Cmd, exited <-chan struct{}) {
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Logf("redis-server pid %d ignored SIGINT; killing it", cmd.Process.Pid)
		_ = cmd.Process.Kill()
		<-exited
	}
}
