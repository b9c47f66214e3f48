package sim

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

func TestPersistRoundTrip(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	cfg := Config{Seed: 3, Tenants: DemoTenants(), Clock: clock, OpDuration: time.Minute,
		StatePath: filepath.Join(t.TempDir(), "sim.json"),
		Faults:    Faults{PatchFail: []string{"acme-cu-nonprod-db-01"}, KernelMismatch: []string{"acme-cu-nonprod-web-02"}}}
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	req := request(t, f, "acme-cu", "nonprod", "c1/nonprod/patch/0")
	// The caller "dies" without storing the handle.
	if _, err := f.StartPatch(ctx, req); err != nil {
		t.Fatal(err)
	}
	_ = f.Trigger(ctx, runbooks.Page{DedupKey: "k1", Summary: "s"})
	_ = f.Acknowledge(ctx, "k1")
	_ = f.FixHost("acme-cu-nonprod-web-02")
	_ = f.SetHealthProblems("acme-cu", "production", []runbooks.Problem{{ID: "P-9", Title: "disk full"}})
	before := f.Stats()

	g, err := New(cfg) // a restarted process
	if err != nil {
		t.Fatal(err)
	}
	h, found, err := g.FindPatch(ctx, req)
	if err != nil || !found || h != "sim-patch-000001" {
		t.Fatalf("FindPatch after restart: %q %v %v", h, found, err)
	}
	clock.Advance(time.Minute)
	st, err := g.PatchStatus(ctx, h)
	if err != nil || !st.Done || st.Failed != 1 || st.Findings[0].HostName != "acme-cu-nonprod-db-01" {
		t.Errorf("PatchStatus after restart: %+v %v", st, err)
	}
	if h := mustHost(t, g, "acme-cu-nonprod-app-01"); h.PendingPatches != 0 {
		t.Error("a finished patch's effect was lost in the restart")
	}
	if h := mustHost(t, g, "acme-cu-nonprod-web-02"); h.SensorVersion != latestSensor {
		t.Error("FixHost was lost in the restart")
	}
	if ps, _ := g.Problems(ctx, "acme-cu", "production"); len(ps) != 1 || ps[0].ID != "P-9" {
		t.Errorf("health problems after restart: %v", ps)
	}
	after := g.Stats()
	if after.Patches.Starts != 1 || after.Patches.ByTag[req.Tag] != 1 || after.Patches.ByScope["acme-cu/nonprod"] != 1 ||
		after.Incidents["k1"].Status != IncidentAcknowledged || after.IncidentsOpened != 1 || after.HostFixes != 1 ||
		after.Calls[MethodStartPatch] != before.Calls[MethodStartPatch] {
		t.Errorf("stats after restart %+v\nbefore %+v", after, before)
	}
	if h2, _ := g.StartPatch(ctx, req); h2 != "sim-patch-000002" {
		t.Errorf("handles restarted from %q; they must stay unique", h2)
	}
	if s := g.Stats(); s.Patches.Duplicates != 1 {
		t.Errorf("a double send across a restart was not counted: %+v", s.Patches)
	}
}

func TestPersistRefusesAnotherFleet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.json")
	cfg := Config{Seed: 1, Tenants: DemoTenants(), StatePath: path}
	if _, err := New(cfg); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"other seed", func(c *Config) { c.Seed = 2 }, "another fleet"},
		{"other tenants", func(c *Config) { c.Tenants = c.Tenants[:2] }, "another fleet"},
		{"other size", func(c *Config) { c.HostsPerTarget = 5 }, "another fleet"},
		{"corrupt file", func(c *Config) { _ = os.WriteFile(path, []byte("{not json"), 0o600) }, "decode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			tc.mod(&c)
			if _, err := New(c); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want %q", err, tc.want)
			}
		})
	}
}

func TestPersistWinsOverFaultsAndCleansUp(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Tenants: DemoTenants(), StatePath: filepath.Join(dir, "sim.json"), Faults: DemoFaults()}
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.FixHost("acme-cu/nonprod"); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(cfg.StatePath+".tmp-123", []byte("half a write"), 0o600)
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hostsOf(t, g, "acme-cu", "nonprod") {
		if !h.Managed {
			t.Errorf("%s unmanaged again: the configured faults overrode the repaired state", h.Name)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("state dir holds %v, want only sim.json", entries)
	}
}

// TestCrashKeepsEveryAcknowledgedCall SIGKILLs a process that is starting
// patches as fast as it can, then checks that the file it left loads and
// holds every start that had returned, counted once.
func TestCrashKeepsEveryAcknowledgedCall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "sim.json")
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
		cmd.Env = append(os.Environ(), "SIM_CRASH_STATE="+path, fmt.Sprintf("SIM_CRASH_ROUND=%d", round))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var acked []string
		lines := bufio.NewScanner(out)
		for lines.Scan() && len(acked) < 10+round*5 {
			if tag, ok := strings.CutPrefix(lines.Text(), "started "); ok {
				acked = append(acked, tag)
			}
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		if len(acked) == 0 {
			t.Fatalf("round %d: the child acknowledged nothing", round)
		}

		f, err := New(crashConfig(path))
		if err != nil {
			t.Fatalf("round %d: load after SIGKILL: %v", round, err)
		}
		s := f.Stats()
		for _, tag := range acked {
			if _, found, _ := f.FindPatch(context.Background(), runbooks.OpRequest{Tag: tag}); !found || s.Patches.ByTag[tag] != 1 {
				t.Errorf("round %d: acknowledged start %s found=%v count=%d", round, tag, found, s.Patches.ByTag[tag])
			}
		}
		if s.Patches.Starts != len(f.st.Ops) || s.Patches.Duplicates != 0 || f.st.Seq[kindPatch] != s.Patches.Starts {
			t.Errorf("round %d: starts %d, ops %d, seq %d, duplicates %d", round, s.Patches.Starts, len(f.st.Ops), f.st.Seq[kindPatch], s.Patches.Duplicates)
		}
	}
}

func crashConfig(path string) Config {
	return Config{Seed: 11, Tenants: GenerateTenants(5, 11), StatePath: path}
}

// TestCrashChild is the process TestCrashKeepsEveryAcknowledgedCall kills.
func TestCrashChild(t *testing.T) {
	path := os.Getenv("SIM_CRASH_STATE")
	if path == "" {
		t.Skip("run by TestCrashKeepsEveryAcknowledgedCall")
	}
	f, err := New(crashConfig(path))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	ten := crashConfig(path).Tenants[0]
	hosts, _ := f.Hosts(context.Background(), ten, ten.Environments[0])
	for i := 0; ; i++ {
		tag := fmt.Sprintf("round%s/patch/%d", os.Getenv("SIM_CRASH_ROUND"), i)
		// Find first, as the engine does, so a restart never sends twice.
		if _, found, _ := f.FindPatch(context.Background(), runbooks.OpRequest{Tag: tag}); found {
			continue
		}
		if _, err := f.StartPatch(context.Background(), runbooks.OpRequest{Tag: tag, Tenant: ten.Name, Env: "nonprod", Hosts: hosts}); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("started", tag)
	}
}
