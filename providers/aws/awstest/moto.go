// Package awstest gives tests of the AWS provider real protocol peers: a
// private moto_server per test package, and Server, an httptest fake that
// speaks the wire protocols of the calls moto lacks (SSM
// DescribeInstanceInformation, DescribeInstancePatchStates, GetPatchBaseline)
// plus EC2 DescribeInstances and STS AssumeRole for load tests across many
// accounts.
package awstest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RequireEnv, when set, turns a missing moto_server into a failure.
const RequireEnv = "PATCHGATE_REQUIRE_SERVICES"

var moto struct {
	once sync.Once
	url  string
	cmd  *exec.Cmd
	logs lockedWriter
	err  error
	miss bool
}

// Main runs a test package and stops its moto_server afterwards; call it
// from TestMain: os.Exit(awstest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if moto.cmd != nil {
		_ = moto.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = moto.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = moto.cmd.Process.Kill()
		}
	}
	return code
}

// Moto returns the base URL of the package's moto_server, started on first
// use and reset (all state dropped) for each caller, so tests that run one
// after another never see each other's resources. It skips when
// moto_server is missing, unless PATCHGATE_REQUIRE_SERVICES is set. Tests
// using it must not run in parallel with each other.
func Moto(t testing.TB) string {
	t.Helper()
	moto.once.Do(startMoto)
	switch {
	case moto.miss && os.Getenv(RequireEnv) != "":
		t.Fatalf("moto_server not found and %s is set", RequireEnv)
	case moto.miss:
		t.Skipf("moto_server not found (set %s to fail instead)", RequireEnv)
	case moto.err != nil:
		t.Fatalf("moto_server: %v\n%s", moto.err, moto.logs.String())
	}
	resp, err := http.Post(moto.url+"/moto-api/reset", "application/json", nil)
	if err != nil {
		t.Fatalf("reset moto_server: %v", err)
	}
	resp.Body.Close()
	return moto.url
}

func startMoto() {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		moto.miss = true
		return
	}
	port, err := freePort()
	if err != nil {
		moto.err = err
		return
	}
	moto.url = "http://127.0.0.1:" + strconv.Itoa(port)
	moto.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	moto.cmd.Stdout, moto.cmd.Stderr = &moto.logs, &moto.logs
	if moto.err = moto.cmd.Start(); moto.err != nil {
		moto.cmd = nil
		return
	}
	moto.err = waitHTTP(moto.url+"/moto-api/", 60*time.Second)
}

// waitHTTP polls url until it answers; moto takes seconds to import on a
// loaded machine.
func waitHTTP(url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer from %s within %v: %w", url, limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// lockedWriter collects the server's output, which its pipes write while a
// failing test reads it.
type lockedWriter struct {
	mu sync.Mutex
	w  bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}
