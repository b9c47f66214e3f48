package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state/redisstore/redistest"
)

// What the crash tests share: the store section of a child's config, the
// CLI run against it, and a killer that SIGKILLs the running child at the
// calls a provider fake reports.

// crashStoreYAML is the store section for backend (bolt in dir, or a
// private redis-server under prefix).
func crashStoreYAML(t *testing.T, backend, dir, prefix string) string {
	t.Helper()
	if backend == "redis" {
		sock := redistest.Start(t)
		return fmt.Sprintf("store:\n  backend: redis\n  redis: {network: unix, addr: %s, prefix: %s}\n", sock, prefix)
	}
	return fmt.Sprintf("store:\n  backend: bolt\n  bolt: {path: %s}\n", filepath.Join(dir, "state.db"))
}

// cliFor runs the patchgate command line against cfgPath and fails the
// test on a non-zero exit.
func cliFor(t *testing.T, cfgPath string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if code := runCLI(context.Background(), &out, append(args, "--config", cfgPath)...); code != 0 {
			t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), code, out.String())
		}
		return out.String()
	}
}

// stepKiller SIGKILLs the armed child at the provider steps a fake
// reports: at odd steps as the step arrives (the child never hears the
// answer, so the step's handle is lost), at even steps on the child's
// next request after it (the handle was stored: the engine saves before
// it polls). Every step is followed by a kill.
type stepKiller struct {
	mu    sync.Mutex
	child *os.Process
	steps []string
	kills int
	armed bool // kill at the next request
	// observe, when set, is called once each killed child has exited (no
	// fake's lock held) with the steps seen so far: a crash test reads the
	// fake's machine state between two steps there.
	observe func(steps []string)
}

func newStepKiller() *stepKiller { return &stepKiller{} }

// watch makes p the child to kill.
func (k *stepKiller) watch(p *os.Process) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.child, k.armed = p, false
}

// step is the fake's OnStep.
func (k *stepKiller) step(s string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.steps = append(k.steps, s)
	if len(k.steps)%2 == 1 {
		k.kill()
		return
	}
	k.armed = true
}

// request is the fake's OnRequest.
func (k *stepKiller) request(string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.armed {
		k.kill()
	}
}

func (k *stepKiller) kill() {
	k.armed = false
	if k.child == nil {
		return
	}
	_ = k.child.Signal(syscall.SIGKILL)
	k.child = nil
	k.kills++
}

// sent is every step the fake reported, in order, and the kills.
func (k *stepKiller) sent() ([]string, int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.steps...), k.kills
}

// runKilled starts children one after another, each killed at the next
// step, until one exits by itself (nothing left open) or the deadline.
func (k *stepKiller) runKilled(t *testing.T, cfgPath, reports string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		child, _ := startChild(t, rollbackChild, cfgPath, reports)
		k.watch(child.Process)
		done := make(chan error, 1)
		go func() { done <- child.Wait() }()
		select {
		case err := <-done:
			k.watch(nil)
			if child.ProcessState.Sys().(syscall.WaitStatus).Signaled() {
				if k.observe != nil {
					steps, _ := k.sent()
					k.observe(steps)
				}
				continue // killed at a step: the next child resumes
			}
			if err != nil {
				t.Fatalf("child: %v\n%s", err, tail(child.Stderr.(*bytes.Buffer).String(), 4000))
			}
			return
		case <-time.After(time.Until(deadline)):
			k.watch(nil)
			_ = child.Process.Kill()
			<-done
			steps, kills := k.sent()
			t.Fatalf("not finished after %d kills (steps %v)\n%s", kills, steps, tail(child.Stderr.(*bytes.Buffer).String(), 4000))
		}
	}
}

// childEnv sets variables the children inherit (a fake's credentials).
func childEnv(t *testing.T, env map[string]string) {
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// killWhileMoving starts child servers one after another and SIGKILLs each
// as soon as progress changes (the record it serves moved), up to
// maxKills; then one child runs until nothing is open. It returns the
// kills that landed.
func killWhileMoving(t *testing.T, c crashChild, cfgPath, reports string, maxKills int, limit time.Duration, progress func() int64) int {
	t.Helper()
	kills := 0
	last := int64(0)
	deadline := time.Now().Add(limit)
	for kills < maxKills && time.Now().Before(deadline) {
		child, ready := startChild(t, c, cfgPath, reports)
		select {
		case <-ready:
		case <-time.After(time.Until(deadline)):
			t.Fatalf("child never started\n%s", tail(child.Stderr.(*bytes.Buffer).String(), 4000))
		}
		done := make(chan error, 1)
		go func() { done <- child.Wait() }()
		for moved := false; !moved; {
			select {
			case <-done:
				return kills // it finished by itself: nothing is open
			case <-time.After(5 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				_ = child.Process.Kill()
				<-done
				t.Fatalf("the runbook stopped moving after %d kills\n%s", kills, tail(child.Stderr.(*bytes.Buffer).String(), 4000))
			}
			rev := progress()
			moved = rev != last
			last = rev
		}
		_ = child.Process.Signal(syscall.SIGKILL)
		<-done
		kills++
	}
	waitChild(t, func() *exec.Cmd { c, _ := startChild(t, c, cfgPath, reports); return c }(), 3*time.Minute)
	return kills
}

// simCrashConfig writes the config of a crash test on the simulated fleet
// (one tenant, the rollback tests' pipeline, the sim's state in a file the
// children share) with extra appended, and returns its path, the reports
// directory and the tenant's name.
func simCrashConfig(t *testing.T, backend, prefix, extra string) (cfgPath, reports, tenant string) {
	t.Helper()
	dir := t.TempDir()
	tenants := sim.GenerateTenants(1, 11)
	cfgPath = filepath.Join(dir, "patchgate.yaml")
	writeRollbackConfig(t, cfgPath, crashStoreYAML(t, backend, dir, prefix), filepath.Join(dir, "sim.json"), tenants)
	f, err := os.OpenFile(cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(extra); err != nil {
		t.Fatal(err)
	}
	return cfgPath, filepath.Join(dir, "reports"), tenants[0].Name
}

// crashApp builds the app on cfgPath in the test's process (between
// children, or before the first), with the clock when one is given.
func crashApp(t *testing.T, cfgPath, reports string, clock runbooks.Clock) *app {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	a, err := build(context.Background(), cfg, wiring{reports: reports, clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return a
}
