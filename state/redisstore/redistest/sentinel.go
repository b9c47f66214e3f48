package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/patchgate/patchgate/internal/testkit"
)

// StartSentinel runs a real Redis Sentinel (redis-server --sentinel) that
// monitors the master at masterAddr under masterName, and returns its
// address once it names that master. It is stopped by t.Cleanup.
func StartSentinel(t testing.TB, masterName, masterAddr string) string {
	t.Helper()
	bin := binary(t)
	dir := socketDir(t)
	port := FreePort(t)
	host, mport, err := net.SplitHostPort(masterAddr)
	if err != nil {
		t.Fatalf("master address: %v", err)
	}
	conf := filepath.Join(dir, "sentinel.conf")
	// Sentinel rewrites its config file as it learns, so it must be writable.
	// Quorum 1 and short timeouts: one sentinel may fail the master over
	// a second after it stops answering.
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor %s %s %s 1\n"+
		"sentinel down-after-milliseconds %s 1000\nsentinel failover-timeout %s 5000\n",
		port, dir, masterName, host, mport, masterName, masterName)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatalf("write sentinel.conf: %v", err)
	}
	var logs testkit.SyncBuffer
	cmd := exec.Command(bin, conf, "--sentinel")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis sentinel: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { stop(t, cmd, exited) })

	addr := Addr(port)
	sc := redis.NewSentinelClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer sc.Close()
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("redis sentinel exited:\n%s", logs.String())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		var got []string
		got, err = sc.GetMasterAddrByName(ctx, masterName).Result()
		cancel()
		if err == nil && len(got) == 2 {
			return addr
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("sentinel on %s did not name master %q within %s: %v\n%s", addr, masterName, startTimeout, err, logs.String())
	return ""
}
