package terraform

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCheckRespectsConcurrencyBound(t *testing.T) {
	for _, bound := range []int{1, 3} {
		t.Run(fmt.Sprint("bound ", bound), func(t *testing.T) {
			bin, dir := writeFake(t)
			var ws []Workspace
			for i := range 3 * bound {
				ws = append(ws, fakeWorkspace(t, fmt.Sprint("ws", i), nil))
			}
			c := New(Options{TerraformPath: bin, Concurrency: bound,
				Env: map[string]string{"FAKE_DIR": dir, "FAKE_BOUND": strconv.Itoa(bound)}})
			results := c.Check(context.Background(), ws)

			for i, r := range results {
				if r.Status != StatusClean || r.Workspace.Name != ws[i].Name {
					t.Errorf("result %d = %+v, want clean %s", i, r, ws[i].Name)
				}
			}
			b, err := os.ReadFile(filepath.Join(dir, "counts"))
			if err != nil {
				t.Fatal(err)
			}
			counts := strings.Fields(string(b))
			if len(counts) != len(ws) {
				t.Fatalf("%d plans ran, want %d", len(counts), len(ws))
			}
			peak := 0
			for _, s := range counts {
				n, _ := strconv.Atoi(s)
				peak = max(peak, n)
			}
			if peak != bound {
				t.Errorf("peak concurrent plans = %d, want exactly the bound %d", peak, bound)
			}
		})
	}
}

func TestCheckExitCodes(t *testing.T) {
	bin, dir := writeFake(t)
	drift := string(readFixture(t, "aws_drift.json"))
	ws := []Workspace{
		fakeWorkspace(t, "clean", nil),
		fakeWorkspace(t, "drifted", map[string]string{"exitcode": "2", "plan.json": drift}),
		fakeWorkspace(t, "broken", map[string]string{"exitcode": "1"}),
	}
	ws[2].Vars = map[string]string{"db_password": "hunter2-inline"}
	c := New(Options{TerraformPath: bin, Env: map[string]string{"FAKE_DIR": dir, "FAKE_BOUND": "1"}})
	res := c.Check(context.Background(), ws)

	if res[0].Status != StatusClean || res[0].Error != "" || res[0].Drift != nil {
		t.Errorf("clean = %+v", res[0])
	}
	if res[1].Status != StatusDrift || len(res[1].Drift) != 4 || res[1].Drift[1].Paths[0] != "instance_type" {
		t.Errorf("drifted = %+v", res[1])
	}
	if res[1].Changes != nil {
		t.Errorf("changes reported without IncludeChanges: %+v", res[1].Changes)
	}
	if res[2].Status != StatusFailed || !strings.Contains(res[2].Error, "Unsupported argument") {
		t.Errorf("broken = %+v", res[2])
	}
	if strings.Contains(res[2].Error, "hunter2") {
		t.Errorf("error leaks a credential: %s", res[2].Error)
	}
}

func TestCheckTimeoutIsFailed(t *testing.T) {
	bin, dir := writeFake(t)
	ws := []Workspace{fakeWorkspace(t, "slow", map[string]string{"hang": ""})}
	c := New(Options{TerraformPath: bin, Timeout: 300 * time.Millisecond,
		Env: map[string]string{"FAKE_DIR": dir, "FAKE_BOUND": "1"}})
	start := time.Now()
	res := c.Check(context.Background(), ws)
	if res[0].Status != StatusFailed || !strings.Contains(res[0].Error, "timed out after 300ms") {
		t.Errorf("slow = %+v", res[0])
	}
	if time.Since(start) > 20*time.Second {
		t.Errorf("a timed-out plan was not killed: took %s", time.Since(start))
	}
}

func TestCheckCancelledContextFailsEveryWorkspace(t *testing.T) {
	bin, dir := writeFake(t)
	ws := []Workspace{fakeWorkspace(t, "a", nil), fakeWorkspace(t, "b", nil)}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := New(Options{TerraformPath: bin, Concurrency: 1, Env: map[string]string{"FAKE_DIR": dir, "FAKE_BOUND": "1"}})
	for _, r := range c.Check(ctx, ws) {
		if r.Status != StatusFailed || r.Error == "" {
			t.Errorf("%s = %+v, want failed", r.Workspace.Name, r)
		}
	}
}

// An initialised directory is reused; a fresh one is initialised.
func TestCheckInitOnlyWhenNeeded(t *testing.T) {
	bin, dir := writeFake(t)
	fresh := fakeWorkspace(t, "fresh", nil)
	ready := fakeWorkspace(t, "ready", nil)
	if err := os.Mkdir(filepath.Join(ready.Dir, ".terraform"), 0o755); err != nil {
		t.Fatal(err)
	}
	c := New(Options{TerraformPath: bin, Env: map[string]string{"FAKE_DIR": dir, "FAKE_BOUND": "1"}})
	c.Check(context.Background(), []Workspace{fresh, ready})
	_, errFresh := os.Stat(filepath.Join(fresh.Dir, "init-ran"))
	_, errReady := os.Stat(filepath.Join(ready.Dir, "init-ran"))
	if errFresh != nil || errReady == nil {
		t.Errorf("init ran in fresh: %v, in ready: %v; want only fresh", errFresh == nil, errReady == nil)
	}
}

func TestCheckMissingBinaryIsFailed(t *testing.T) {
	c := New(Options{TerraformPath: filepath.Join(t.TempDir(), "no-terraform")})
	res := c.Check(context.Background(), []Workspace{{Name: "x", Dir: t.TempDir()}})
	if res[0].Status != StatusFailed || !strings.Contains(res[0].Error, "find terraform binary") {
		t.Errorf("got %+v", res[0])
	}
}

func TestNewDefaults(t *testing.T) {
	c := New(Options{})
	got := []any{c.opts.TerraformPath, c.opts.Concurrency, c.opts.Timeout}
	want := []any{"terraform", 4, 10 * time.Minute}
	if !reflect.DeepEqual(got, want) || c.opts.Log == nil {
		t.Errorf("defaults = %v, want %v", got, want)
	}
}
