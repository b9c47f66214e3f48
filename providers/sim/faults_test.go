package sim

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

// Each fault is set up in a demo fleet and observed only through the ports
// the engine uses, then repaired where the fault can be.
func TestFaults(t *testing.T) {
	const host = "cascade-cu-nonprod-app-01"
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		faults Faults
		check  func(t *testing.T, f *Fleet)
	}{
		{"unmanaged: connection lost", Faults{Unmanaged: map[string]string{host: "ConnectionLost"}}, func(t *testing.T, f *Fleet) {
			h := findHost(t, hostsOf(t, f, "cascade-cu", "nonprod"), host)
			if h.Managed || h.AgentStatus != "ConnectionLost" {
				t.Errorf("host %+v, want unmanaged with agent ConnectionLost", h)
			}
			st := runPatch(t, f, request(t, f, "cascade-cu", "nonprod", "p1"))
			wantFailed(t, st, host, "ConnectionLost")
			if err := f.FixHost(h.ID); err != nil {
				t.Fatal(err)
			}
			if h := findHost(t, hostsOf(t, f, "cascade-cu", "nonprod"), host); !h.Managed || h.AgentStatus != "Online" {
				t.Errorf("after FixHost: %+v, want managed and online", h)
			}
		}},
		{"unmanaged: never registered", Faults{Unmanaged: map[string]string{"cascade-cu/nonprod": ""}}, func(t *testing.T, f *Fleet) {
			for _, h := range hostsOf(t, f, "cascade-cu", "nonprod") {
				if h.Managed || h.AgentStatus != "" {
					t.Errorf("%s: managed=%v agent=%q, want an unregistered agent", h.Name, h.Managed, h.AgentStatus)
				}
			}
			if hs := hostsOf(t, f, "cascade-cu", "staging"); !hs[0].Managed {
				t.Error("a tenant/env selector leaked into staging")
			}
		}},
		{"no sensor", Faults{NoSensor: []string{host}}, func(t *testing.T, f *Fleet) {
			h := findHost(t, hostsOf(t, f, "cascade-cu", "nonprod"), host)
			if h.HasSensor || h.SensorVersion != "" {
				t.Errorf("host %+v, want no sensor", h)
			}
			if fs, _ := f.PrePatch(ctx, []runbooks.Host{h}); len(fs) != 0 {
				t.Errorf("PrePatch of a host without sensor: %v, want nothing to lose", fs)
			}
			_ = f.FixHost(host)
			if h := mustHost(t, f, host); !h.HasSensor || h.SensorVersion != latestSensor {
				t.Errorf("after FixHost: sensor %v %q, want the latest installed", h.HasSensor, h.SensorVersion)
			}
		}},
		{"kernel mismatch", Faults{KernelMismatch: []string{host}}, func(t *testing.T, f *Fleet) {
			h := mustHost(t, f, host)
			if h.OS != "Red Hat Enterprise Linux" {
				t.Fatalf("kernel-mismatch host runs %s, want RHEL", h.OS)
			}
			fs, err := f.PrePatch(ctx, hostsOf(t, f, "cascade-cu", "nonprod"))
			if err != nil || len(fs) != 1 || fs[0].HostName != host {
				t.Fatalf("PrePatch: %v %v, want one finding on %s", fs, err, host)
			}
			for _, want := range []string{"sensor " + h.SensorVersion, h.PendingKernel, "reduced-functionality"} {
				if !strings.Contains(fs[0].Reason, want) {
					t.Errorf("reason %q does not name %q", fs[0].Reason, want)
				}
			}
			// Patched anyway, the sensor drops to reduced functionality.
			runPatch(t, f, runbooks.OpRequest{Tag: "p1", Hosts: []runbooks.Host{h}})
			if fs, _ := f.PostPatch(ctx, []runbooks.Host{h}); len(fs) != 1 {
				t.Errorf("PostPatch after patching onto an unsupported kernel: %v, want one finding", fs)
			}
			_ = f.FixHost(host)
			if fs, _ := f.PostPatch(ctx, []runbooks.Host{h}); len(fs) != 0 {
				t.Errorf("PostPatch after the sensor upgrade: %v", fs)
			}
		}},
		{"kernel mismatch repaired before patching", Faults{KernelMismatch: []string{host}}, func(t *testing.T, f *Fleet) {
			before := mustHost(t, f, host)
			_ = f.FixHost(host)
			h := mustHost(t, f, host)
			if fs, _ := f.PrePatch(ctx, []runbooks.Host{before}); len(fs) != 0 {
				t.Errorf("PrePatch after sensor upgrade (judged live, not on the stale host passed): %v", fs)
			}
			if h.PendingKernel != before.PendingKernel || h.SensorVersion != latestSensor {
				t.Errorf("FixHost should keep the new kernel and upgrade the sensor: %+v", h)
			}
		}},
		{"backup fails", Faults{BackupFail: []string{host}}, func(t *testing.T, f *Fleet) {
			hd, err := f.StartBackup(ctx, request(t, f, "cascade-cu", "nonprod", "b1"))
			if err != nil {
				t.Fatal(err)
			}
			st, _ := f.BackupStatus(ctx, hd)
			if !st.Done || st.Total != 12 || st.Succeeded != 11 {
				t.Errorf("status %+v, want done 11/12", st)
			}
			wantFailed(t, st, host, "backup failed")
		}},
		{"patch fails", Faults{PatchFail: []string{host}}, func(t *testing.T, f *Fleet) {
			req := request(t, f, "cascade-cu", "nonprod", "p1")
			wantFailed(t, runPatch(t, f, req), host, "exit code 1")
			fs, _ := f.VerifyPatch(ctx, req)
			if len(fs) != 1 || fs[0].HostName != host || !strings.Contains(fs[0].Reason, "failed") {
				t.Errorf("VerifyPatch: %v, want the failed host", fs)
			}
			if h := mustHost(t, f, host); h.PendingPatches == 0 {
				t.Error("a failed patch cleared the host's pending patches")
			}
			_ = f.FixHost(host)
			req.Tag = "p2"
			if st := runPatch(t, f, req); st.Failed != 0 {
				t.Errorf("retry after FixHost: %+v", st)
			}
			if fs, _ := f.VerifyPatch(ctx, req); len(fs) != 0 {
				t.Errorf("VerifyPatch after the retry: %v", fs)
			}
		}},
		{"sensor reduced functionality after patch", Faults{PostPatchRFM: []string{host}}, func(t *testing.T, f *Fleet) {
			req := request(t, f, "cascade-cu", "nonprod", "p1")
			if fs, _ := f.PrePatch(ctx, req.Hosts); len(fs) != 0 {
				t.Errorf("PrePatch: %v, want clean", fs)
			}
			if fs, _ := f.PostPatch(ctx, req.Hosts); len(fs) != 0 {
				t.Errorf("PostPatch before patching: %v, want clean", fs)
			}
			runPatch(t, f, req)
			fs, _ := f.PostPatch(ctx, req.Hosts)
			if len(fs) != 1 || fs[0].HostName != host || !strings.Contains(fs[0].Reason, "reduced-functionality") {
				t.Errorf("PostPatch: %v, want %s in reduced-functionality mode", fs, host)
			}
		}},
		{"health problems until cleared", Faults{HealthProblems: map[string][]runbooks.Problem{"cascade-cu/production": {{ID: "P-1", Title: "High error rate on web"}}}}, func(t *testing.T, f *Fleet) {
			for range 2 {
				if ps, _ := f.Problems(ctx, "cascade-cu", "production"); len(ps) != 1 || ps[0].ID != "P-1" {
					t.Errorf("Problems: %v, want P-1 until cleared", ps)
				}
			}
			if ps, _ := f.Problems(ctx, "cascade-cu", "staging"); len(ps) != 0 {
				t.Errorf("staging: %v", ps)
			}
			_ = f.ClearHealthProblems("cascade-cu", "production")
			if ps, _ := f.Problems(ctx, "cascade-cu", "production"); len(ps) != 0 {
				t.Errorf("after clearing: %v", ps)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, demoFleet(t, func(c *Config) { c.Faults = tc.faults }))
		})
	}
}

func TestHostFaultsAtRunTime(t *testing.T) {
	f := demoFleet(t, nil)
	const host = "acme-cu-staging-db-01"
	if err := f.SetHostFault(host, FaultUnregistered); err != nil {
		t.Fatal(err)
	}
	if h := mustHost(t, f, host); h.Managed {
		t.Error("SetHostFault(unregistered) left the host managed")
	}
	if err := f.ClearHostFault(host, FaultUnregistered); err != nil {
		t.Fatal(err)
	}
	if h := mustHost(t, f, host); !h.Managed || h.AgentStatus != "Online" {
		t.Errorf("after ClearHostFault: %+v", h)
	}
	if err := f.SetHostFault("no-such-host", FaultPatchFail); err == nil {
		t.Error("a fault on an unknown host was accepted")
	}
	if err := f.SetHostFault(host, "melted"); err == nil {
		t.Error("an unknown fault kind was accepted")
	}
	if len(f.st.Hosts) != 0 {
		t.Errorf("healthy hosts are still stored as changed: %v", f.st.Hosts)
	}
}

func wantFailed(t *testing.T, st runbooks.OpStatus, host, reason string) {
	t.Helper()
	if st.Failed != 1 || len(st.Findings) != 1 || st.Findings[0].HostName != host || !strings.Contains(st.Findings[0].Reason, reason) {
		t.Errorf("status %+v, want exactly %s failed with %q", st, host, reason)
	}
}

func findHost(t *testing.T, hosts []runbooks.Host, name string) runbooks.Host {
	t.Helper()
	for _, h := range hosts {
		if h.Name == name {
			return h
		}
	}
	t.Fatalf("%s not listed", name)
	return runbooks.Host{}
}

func TestInjectedErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("every nth call fails before it takes effect", func(t *testing.T) {
		f := demoFleet(t, func(c *Config) { c.Faults.ErrorEvery = map[string]int{MethodStartPatch: 2} })
		var failed int
		for i := range 6 {
			req := request(t, f, "acme-cu", "staging", "tag-"+string(rune('a'+i)))
			if _, err := f.StartPatch(ctx, req); err != nil {
				if !errors.Is(err, ErrInjected) || runbooks.ErrorCode(err) != runbooks.CodeUnavailable {
					t.Fatalf("err %v, want ErrInjected coded unavailable", err)
				}
				if _, found, _ := f.FindPatch(ctx, req); found {
					t.Error("a call that failed before taking effect left an operation")
				}
				failed++
			}
		}
		s := f.Stats()
		if failed != 3 || s.Patches.Starts != 3 || s.InjectedErrors[MethodStartPatch] != 3 || s.Calls[MethodStartPatch] != 6 {
			t.Errorf("failed %d, stats %+v", failed, s)
		}
	})
	t.Run("lost reply: the call took effect", func(t *testing.T) {
		f := demoFleet(t, func(c *Config) { c.Faults.LostReplyEvery = map[string]int{MethodStartBackup: 1} })
		req := request(t, f, "acme-cu", "staging", "b1")
		h, err := f.StartBackup(ctx, req)
		if !errors.Is(err, ErrInjected) || h != "" {
			t.Fatalf("StartBackup: %q %v, want a lost reply", h, err)
		}
		found, ok, err := f.FindBackup(ctx, req)
		if err != nil || !ok || found != "sim-backup-000001" {
			t.Errorf("FindBackup: %q %v %v, want the operation the lost call created", found, ok, err)
		}
		if s := f.Stats(); s.Backups.Starts != 1 || s.Backups.Found != 1 {
			t.Errorf("stats %+v", s.Backups)
		}
	})
	t.Run("rate is seeded and repeatable", func(t *testing.T) {
		pattern := func(seed int64) string {
			f := demoFleet(t, func(c *Config) { c.Seed = seed; c.Faults.ErrorRate = map[string]float64{MethodProblems: 0.3} })
			var b strings.Builder
			for range 200 {
				if _, err := f.Problems(ctx, "acme-cu", "nonprod"); err != nil {
					b.WriteByte('x')
				} else {
					b.WriteByte('.')
				}
			}
			return b.String()
		}
		a, b, c := pattern(1), pattern(1), pattern(2)
		if a != b {
			t.Error("the same seed failed different calls")
		}
		if a == c {
			t.Error("different seeds failed the same calls")
		}
		if n := strings.Count(a, "x"); n < 30 || n > 90 {
			t.Errorf("%d of 200 calls failed at rate 0.3", n)
		}
	})
	t.Run("changed at run time", func(t *testing.T) {
		f := demoFleet(t, nil)
		if err := f.SetErrorEvery(MethodHosts, 1); err != nil {
			t.Fatal(err)
		}
		ten := tenantNamed(t, f, "acme-cu")
		if _, err := f.Hosts(ctx, ten, ten.Environments[0]); !errors.Is(err, ErrInjected) {
			t.Errorf("Hosts: %v, want injected", err)
		}
		_ = f.SetErrorEvery(MethodHosts, 0)
		if _, err := f.Hosts(ctx, ten, ten.Environments[0]); err != nil {
			t.Errorf("Hosts after clearing: %v", err)
		}
		if err := f.SetErrorRate("Nope", 0.5); err == nil {
			t.Error("an unknown method was accepted")
		}
		if err := f.SetLostReplyEvery(MethodTrigger, 1); err != nil {
			t.Fatal(err)
		}
		if err := f.Trigger(ctx, runbooks.Page{DedupKey: "k"}); !errors.Is(err, ErrInjected) {
			t.Errorf("Trigger: %v", err)
		}
		if s := f.Stats(); s.Incidents["k"].Status != IncidentTriggered {
			t.Error("a trigger whose reply was lost did not open the incident")
		}
	})
}
