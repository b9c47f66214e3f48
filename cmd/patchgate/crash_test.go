package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// The crash test runs `serve` as a real child process (this test binary,
// re-executed), SIGKILLs it at random points at least 20 times, restarts
// it, and checks that every cycle still completes with each backup and
// patch sent exactly once and the audit log verifying.

const (
	crashChildEnv = "PATCHGATE_CRASH_CHILD" // config path, in the child
	crashTenants  = 28
	crashKills    = 20
	crashApprover = "U0ALICE001"
	crashSecond   = "U0BOB00002"
	crashReq      = "U0REQ00003"
)

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test runs only without -short")
	}
	for _, backend := range []string{"bolt", "redis"} {
		t.Run(backend, func(t *testing.T) { crashRun(t, backend) })
	}
}

func crashRun(t *testing.T, backend string) {
	dir := t.TempDir()
	store := crashStoreYAML(t, backend, dir, "crash")
	tenants := sim.GenerateTenants(crashTenants, 11)
	cfgPath := filepath.Join(dir, "patchgate.yaml")
	simState := filepath.Join(dir, "sim.json")
	writeCrashConfig(t, cfgPath, store, simState, tenants)
	reports := filepath.Join(dir, "reports")
	ctx := context.Background()

	// Start every tenant's cycle through the CLI, as an operator would.
	for _, tn := range tenants {
		var out bytes.Buffer
		if code := runCLI(ctx, &out, "cycle", "start", tn.Name, "--as", crashReq, "--config", cfgPath); code != 0 {
			t.Fatalf("cycle start %s: exit %d: %s", tn.Name, code, out.String())
		}
	}

	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	kills, killedMidWork := 0, 0
	last := progress(t, cfgPath)
	deadline := time.Now().Add(4 * time.Minute)
	for {
		child, ready := startChild(t, cycleChild, cfgPath, reports)
		if kills < crashKills {
			// The kill lands a random moment after the child's engine runs,
			// not after its process starts: a race-built binary takes a
			// variable while to start, which would otherwise eat the window.
			select {
			case <-ready:
			case <-time.After(time.Until(deadline)):
				t.Fatalf("child never started its engine\n%s", tail(child.Stderr.(*bytes.Buffer).String(), 4000))
			}
			time.Sleep(time.Duration(150+rng.IntN(400)) * time.Millisecond)
			if err := child.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = child.Wait()
			kills++
			p := progress(t, cfgPath)
			if p.events > last.events && p.active > 0 {
				killedMidWork++ // the child had moved cycles on and work remained
				last = p
			}
			continue
		}
		// Enough kills: let the last child finish every cycle and exit.
		done := make(chan error, 1)
		go func() { done <- child.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("final child: %v\n%s", err, child.Stderr.(*bytes.Buffer).String())
			}
		case <-time.After(time.Until(deadline)):
			_ = child.Process.Kill()
			<-done // the stderr buffer is written until the process is reaped
			t.Fatalf("cycles not finished in time after %d kills\n%s", kills, tail(child.Stderr.(*bytes.Buffer).String(), 4000))
		}
		break
	}

	// Every cycle completed, each environment backed up and patched once.
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	a, err := build(ctx, cfg, wiring{reports: reports})
	if err != nil {
		t.Fatal(err)
	}
	finished, err := a.engine.Finished(ctx)
	if err != nil {
		t.Fatal(err)
	}
	active, _ := a.engine.Active(ctx)
	if len(finished) != crashTenants || len(active) != 0 {
		var still []string
		for _, c := range active {
			s := fmt.Sprintf("%s %s", c.ID, c.Status)
			if i := c.Current(); i >= 0 {
				s += fmt.Sprintf(" at %s/%s", c.Stages[i].Name, c.Stages[i].Phase)
			}
			if c.Halt != nil {
				s += fmt.Sprintf(" (halted by %s: %s)", c.Halt.By, c.Halt.Reason)
			}
			still = append(still, s)
		}
		t.Fatalf("%d cycles finished, %d active; want %d and 0; still active: %s", len(finished), len(active), crashTenants, strings.Join(still, "; "))
	}
	for _, c := range finished {
		if c.Status != runbooks.StatusCompleted {
			t.Errorf("%s ended %s", c.ID, c.Status)
		}
	}
	stats := a.fleet.Stats()
	for _, tn := range tenants {
		for _, env := range []string{"nonprod", "staging", "production"} {
			scope := tn.Name + "/" + env
			if stats.Patches.ByScope[scope] != 1 || stats.Backups.ByScope[scope] != 1 {
				t.Errorf("%s: %d patch and %d backup starts, want 1 each", scope, stats.Patches.ByScope[scope], stats.Backups.ByScope[scope])
			}
		}
	}
	if stats.Patches.Duplicates+stats.Backups.Duplicates != 0 {
		t.Errorf("duplicate operations after crashes: %d patches, %d backups", stats.Patches.Duplicates, stats.Backups.Duplicates)
	}
	t.Logf("%s: %d kills, %d of them mid-work; %d operations found by tag after a crash", backend, kills, killedMidWork, stats.Patches.Found+stats.Backups.Found)
	if killedMidWork < crashKills/2 {
		t.Errorf("only %d of %d kills landed while cycles were moving; the test did not test crashes", killedMidWork, kills)
	}
	a.store.Close()

	var out bytes.Buffer
	if code := runCLI(ctx, &out, "audit", "verify", "--config", cfgPath); code != 0 {
		t.Fatalf("audit verify: exit %d: %s", code, out.String())
	}
	if !strings.Contains(out.String(), "audit OK") {
		t.Fatalf("audit verify said: %s", out.String())
	}
}

type crashProgress struct{ events, active int64 }

// progress sums the audit events of every cycle and counts active ones,
// read from the store while no child runs.
func progress(t *testing.T, cfgPath string) crashProgress {
	t.Helper()
	ctx := context.Background()
	st, _, err := openStoreFromFile(ctx, cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := st.List(ctx, "cycles/")
	if err != nil {
		t.Fatal(err)
	}
	var p crashProgress
	for _, r := range recs {
		var c struct {
			Revision int64           `json:"revision"`
			Status   runbooks.Status `json:"status"`
		}
		if err := json.Unmarshal(r.Value, &c); err != nil {
			t.Fatal(err)
		}
		p.events += c.Revision
		if !c.Status.Terminal() {
			p.active++
		}
	}
	return p
}

// crashChild names a child test: the test function that serves, and the
// variable that hands it its config path.
type crashChild struct{ test, env string }

var (
	cycleChild    = crashChild{test: "TestCrashChild", env: crashChildEnv}
	rollbackChild = crashChild{test: "TestRollbackCrashChild", env: rollbackChildEnv}
)

// startChild re-executes this test binary as a patchgate server.
func startChild(t *testing.T, c crashChild, cfgPath, reports string) (*exec.Cmd, <-chan struct{}) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+c.test+"$", "-test.v")
	// Each child is the same replica restarted (as a pod keeps its name), so
	// it takes its own leases back at once; the report step (a PDF) may take
	// seconds under -race, hence the long step timeout and lease.
	cmd.Env = append(os.Environ(), c.env+"="+cfgPath, "PATCHGATE_REPORTS="+reports, "PATCHGATE_REPLICA=crash-child")
	var errBuf bytes.Buffer
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &errBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() { // read to the end so the child never blocks on a full pipe
			if !signalled && sc.Text() == crashChildReady {
				close(ready)
				signalled = true
			}
		}
	}()
	return cmd, ready
}

// crashChildReady is what the child prints once its engine is running.
const crashChildReady = "crash-child: engine running"

// TestCrashChild is the child side: the real serve path plus approvers who
// click Approve on whatever waits. It exits once no cycle is active.
func TestCrashChild(t *testing.T) { serveAsChild(t, cycleChild) }

// serveAsChild serves the config c's variable names, with approvers who
// approve every waiting stage, rollback, deployment and remediation,
// until nothing is open; outside
// a child process it skips.
func serveAsChild(t *testing.T, c crashChild) {
	cfgPath := os.Getenv(c.env)
	if cfgPath == "" {
		t.Skip("only runs as a crash test's child process")
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	w := wiring{log: log, reports: os.Getenv("PATCHGATE_REPORTS"),
		ready: func(a *app) {
			fmt.Println(crashChildReady)
			go approveUntilDone(ctx, cancel, a.engine)
		}}
	if err := serve(ctx, cfg, w); err != nil {
		t.Fatal(err)
	}
}

// approveUntilDone approves every waiting stage and rollback (the same
// click after a restart carries the same interaction ID) and stops the
// server when no cycle is left active but halted ones and nothing else is
// left open.
func approveUntilDone(ctx context.Context, stop func(), e *runbooks.Engine) {
	// The parent kills this process long before the bound; Poll paces the
	// looks at the store.
	testkit.Poll(time.Hour, func() bool {
		if ctx.Err() != nil {
			return true
		}
		active, err1 := e.Active(ctx)
		open, err2 := e.Rollbacks(ctx, false)
		// A halted cycle waits for a person this child does not play; any
		// other still in the active set has work left, if only its move
		// to the finished set once it completed.
		running := 0
		for _, c := range active {
			if c.Status != runbooks.StatusHalted {
				running++
			}
		}
		deploys, err3 := e.SensorDeploys(ctx, false)
		rems, err4 := e.Remediations(ctx, false)
		if err1 == nil && err2 == nil && err3 == nil && err4 == nil && running == 0 && len(open) == 0 && len(deploys) == 0 && len(rems) == 0 {
			stop()
			return true
		}
		// The first approver, then a second one where four eyes need two.
		approve := func(id, stage string, rev int64, approvals int) {
			who := crashApprover
			if approvals > 0 {
				who = crashSecond
			}
			_, _ = e.Decide(ctx, runbooks.Decision{Cycle: id, Stage: stage, Action: runbooks.Approve, Actor: who,
				SeenRevision: rev, InteractionID: "click-" + id + "-" + stage + "-" + who})
		}
		for _, c := range active {
			if i := c.Current(); i >= 0 && c.Status == runbooks.StatusRunning && c.Stages[i].Phase == runbooks.PhaseApproval {
				approve(c.ID, c.Stages[i].Name, c.Revision, len(c.Stages[i].Approvals))
			}
		}
		for _, d := range deploys {
			if d.Status == runbooks.DeployAwaitingApproval {
				approve(d.ID, "", d.Revision, len(d.Approvals))
			}
		}
		for _, r := range rems {
			if r.Status == runbooks.RemAwaitingApproval {
				approve(r.ID, "", r.Revision, len(r.Approvals))
			}
		}
		for _, rb := range open {
			if rb.Status == runbooks.RollbackAwaitingApproval {
				approve(rb.ID, "", rb.Revision, len(rb.Approvals))
			}
		}
		return false
	})
}

// runCLI runs the patchgate command line in-process, output and errors
// into out, and returns its exit code.
func runCLI(ctx context.Context, out io.Writer, args ...string) int {
	return run(ctx, args, out, out)
}

func writeCrashConfig(t *testing.T, path, store, simState string, tenants []runbooks.Tenant) {
	t.Helper()
	var b strings.Builder
	b.WriteString(store)
	b.WriteString("engine: {tick: 20ms, lease_ttl: 20s, step_timeout: 10s, workers: 4}\n")
	fmt.Fprintf(&b, "providers:\n  kind: sim\n  sim: {seed: 11, hosts_per_target: 2, op_duration: 400ms, latency: 2ms, state_path: %s}\n", simState)
	fmt.Fprintf(&b, "pipeline:\n")
	fmt.Fprintf(&b, "  - {env: nonprod, approvers: [%s], min_approvals: 1, sensor_gate: true}\n", crashApprover)
	fmt.Fprintf(&b, "  - {env: staging, approvers: [%s], min_approvals: 1, soak: 1500ms, sensor_gate: true}\n", crashApprover)
	fmt.Fprintf(&b, "  - {env: production, approvers: [%s, %s], min_approvals: 2, four_eyes: true, health_gate: true, sensor_gate: true}\n", crashApprover, crashSecond)
	b.WriteString(tenantsYAML(tenants))
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
