// Command reportbench makes one compliance report (PDF, evidence JSON, three
// CSVs, manifest, archived to a temporary directory) for a synthetic cycle
// of -hosts hosts and prints its wall time, the bytes it allocated and the
// process's peak resident memory, so the whole report's memory is measured,
// not one function's:
//
//	go run ./test/reportbench -hosts 20000
//	go build -o /tmp/reportbench ./test/reportbench && /usr/bin/time -v /tmp/reportbench
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/patchgate/patchgate/reports"
	rb "github.com/patchgate/patchgate/runbooks"
)

func main() {
	n := flag.Int("hosts", 20000, "hosts in the cycle")
	flag.Parse()
	in := syntheticInput(*n)
	runtime.GC()
	inputRSS := maxRSS()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	dir, err := os.MkdirTemp("", "reportbench-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	start, cpu0 := time.Now(), cpuTime()
	rep, err := (&reports.Dir{Path: dir}).Report(context.Background(), in)
	if err != nil {
		fail(err)
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	fmt.Printf("hosts %d: report in %s (process CPU %s), allocated %.0f MB in %d allocations\n", *n,
		elapsed.Round(time.Millisecond), cpu.Round(time.Millisecond),
		float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), after.Mallocs-before.Mallocs)
	fmt.Printf("peak RSS: %.0f MB with the input alone, %.0f MB after the report (whole process)\n",
		float64(inputRSS)/1024, float64(maxRSS())/1024)
	for _, f := range rep.Files {
		fmt.Printf("  %-30s %10d bytes\n", f.Name, f.Size)
	}
}

// cpuTime is the CPU time (user + system) the process has used: on a loaded
// machine it says what the wall time would be on an idle one better than
// the wall time does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// maxRSS is the process's peak resident set so far, in KiB (Linux).
func maxRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return int64(ru.Maxrss)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "reportbench:", err)
	os.Exit(1)
}

// syntheticInput is a finished three-environment cycle over n hosts: every
// stage approved and gated, one host in 500 unmanaged and excluded, one in
// 700 failed, the audit trail and an access report as the engine hands
// them over.
func syntheticInput(n int) rb.ReportInput {
	t0 := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	at := func(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }
	envs := []string{"nonprod", "staging", "production"}
	clouds := []rb.Cloud{rb.AWS, rb.Azure, rb.GCP}
	hosts := make([]rb.Host, n)
	before := make([]rb.Host, n)
	var excluded, failed []rb.Finding
	for i := range hosts {
		h := rb.Host{ID: fmt.Sprintf("i-%012x", i), Name: fmt.Sprintf("acme-%s-web-%05d", envs[i%3], i),
			Cloud: clouds[i%3], Account: fmt.Sprintf("acct-%s-%d", clouds[i%3], i%7), Region: "us-east-1", Env: envs[i%3],
			OS: "Amazon Linux", OSVersion: "2023", Kernel: "6.1.115-126.197.amzn2023.x86_64", Managed: true, AgentStatus: "Online",
			HasSensor: true, SensorVersion: "7.18.18803", SensorSource: "falcon", LastPatched: at(20)}
		before[i] = h
		before[i].Kernel, before[i].PendingPatches = "6.1.102-111.182.amzn2023.x86_64", 12
		if i%500 == 0 {
			h.Managed, h.AgentStatus, h.PendingPatches, h.LastPatched = false, "ConnectionLost", 12, time.Time{}
			excluded = append(excluded, rb.Finding{HostID: h.ID, HostName: h.Name, Reason: "SSM agent ConnectionLost"})
		} else if i%700 == 1 {
			h.PendingPatches = 3
			failed = append(failed, rb.Finding{HostID: h.ID, HostName: h.Name, Reason: "yum exited 1: dependency conflict"})
		}
		hosts[i] = h
	}
	c := &rb.Cycle{ID: "acme-cu-20261122-0200-bench1", Tenant: "acme-cu", Requester: "U0REQUEST1", Created: t0,
		Status: rb.StatusCompleted, Ended: at(30), Scope: rb.Scope{Hosts: n, Excluded: len(excluded)}}
	c.Stages = append(c.Stages, rb.Stage{Name: "preflight", Kind: rb.KindPreflight, Phase: rb.PhaseDone, Started: t0, Done: at(0.2),
		Gates:      []rb.Gate{{Name: "inventory", Passed: false, At: at(0.1), Summary: fmt.Sprintf("%d hosts, %d unmanaged", n, len(excluded)), Findings: excluded}},
		Exclusions: excluded})
	var events []rb.Event
	add := func(when time.Time, stage, typ, actor, detail string) {
		events = append(events, rb.Event{Seq: int64(len(events) + 1), At: when, Cycle: c.ID, Tenant: c.Tenant, Stage: stage, Type: typ, Actor: actor, Detail: detail})
	}
	add(t0, "", rb.EvCycleStarted, c.Requester, "patch cycle requested")
	for k, env := range envs {
		start := float64(1 + 10*k)
		s := rb.Stage{Name: env, Kind: rb.KindEnvironment, Env: env, Phase: rb.PhaseDone, MinApprovals: 1, FourEyes: true,
			HealthGate: env == "production", SensorGate: true, Started: at(start), Done: at(start + 2),
			Approvals: []rb.Approval{{By: "U0SRE00001", At: at(start + 0.1), Interaction: "I-" + env, Revision: int64(3 + k)}}}
		for j, g := range []string{"health", "sensors", "backup", "patch", "verify"} {
			gate := rb.Gate{Name: g, Passed: true, At: at(start + 0.2 + 0.3*float64(j)), Summary: fmt.Sprintf("%d/%d succeeded", n/3, n/3)}
			if g == "patch" && env == "production" {
				gate.Passed, gate.Findings = false, failed
			}
			s.Gates = append(s.Gates, gate)
			add(gate.At, env, rb.EvGatePassed, rb.ActorSystem, g+": "+gate.Summary)
		}
		s.Backup = rb.Op{Handle: "bk-" + env, Started: at(start + 0.5), Total: n / 3, Succeeded: n / 3, Done: true}
		s.Patch = rb.Op{Handle: "cmd-" + env, Started: at(start + 0.8), Total: n / 3, Succeeded: n / 3, Done: true}
		add(at(start+0.1), env, rb.EvApproved, "U0SRE00001", "approved")
		c.Stages = append(c.Stages, s)
	}
	c.Stages = append(c.Stages, rb.Stage{Name: "report", Kind: rb.KindReport, Phase: rb.PhaseReport})
	acc := &rb.AccessReport{At: at(30)}
	for _, cl := range clouds {
		for a := range 7 {
			acct := fmt.Sprintf("acct-%s-%d", cl, a)
			acc.Grants = append(acc.Grants, rb.AccessGrant{Cloud: cl, Account: acct, Principal: "acme-cu-sre", PrincipalType: "GROUP", PermissionSet: "PatchOperator", Source: "aws-identity-center"})
			acc.Executors = append(acc.Executors, rb.Executor{Cloud: cl, Account: acct, Principal: "patchgate-executor in " + acct})
		}
	}
	return rb.ReportInput{Cycle: c, Events: events, Hosts: hosts, HostsBefore: before,
		AuditEntries: int64(len(events)), AuditHead: "9f2c4e1d00aa", Access: acc}
}
