package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// The remediation crash test records AWS Config non-compliance events for
// three production instances, then runs `serve` as a child process with
// approvers who approve what waits (two, four eyes), and SIGKILLs the child
// every time the remediation's record moves: through its gates, its backup,
// its patch and Config's re-evaluation. The backup and the patch of the
// instance batch must each be sent exactly once, the remediation must end
// resolved with the instances patched, and the audit log must verify.

const remediationChildEnv = "PATCHGATE_REMEDIATION_CHILD"

var remediationChild = crashChild{test: "TestConfigEventRemediationCrashChild", env: remediationChildEnv}

// TestConfigEventRemediationCrashChild is the child: serve, with approvers
// who approve whatever waits; it exits once nothing is open.
func TestConfigEventRemediationCrashChild(t *testing.T) { serveAsChild(t, remediationChild) }

func TestConfigEventRemediationCrashMidPatch(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test runs only without -short")
	}
	for _, backend := range []string{"bolt", "redis"} {
		t.Run(backend, func(t *testing.T) { remediationCrashRun(t, backend) })
	}
}

func remediationCrashRun(t *testing.T, backend string) {
	cfgPath, reports, tn := simCrashConfig(t, backend, "remcrash", "remediation: {debounce: 1m, compliance_timeout: 10m, compliance_poll: 10s}\n")
	ctx := context.Background()

	// Three production instances fell out of compliance two minutes ago, so
	// the one-minute debounce window has closed when the first child starts.
	then := time.Now().Add(-2 * time.Minute)
	a := crashApp(t, cfgPath, reports, runbooks.ClockFunc(func() time.Time { return then }))
	hosts, err := a.fleet.Peek(tn + "/production")
	if err != nil || len(hosts) < 3 {
		t.Fatalf("production hosts: %d %v", len(hosts), err)
	}
	var id string
	for i, h := range hosts[:3] {
		id, err = a.engine.IntakeComplianceEvent(ctx, runbooks.ComplianceEvent{ID: fmt.Sprintf("ev-crash-%d", i), Account: h.Account,
			Region: h.Region, InstanceID: h.ID, Rule: "ec2-managedinstance-patch-compliance-status-check",
			Compliance: runbooks.NonCompliant, At: then.Add(-time.Hour), Source: "http", Tenant: tn, Env: "production"})
		if err != nil || !runbooks.IsRemediationID(id) {
			t.Fatalf("intake of %s: %q %v", h.ID, id, err)
		}
	}
	a.store.Close()

	kills := killWhileMoving(t, remediationChild, cfgPath, reports, 40, 4*time.Minute,
		func() int64 { return kindProgress(t, cfgPath, backend, "remediation", id) })

	a = crashApp(t, cfgPath, reports, nil)
	r, err := a.engine.GetRemediation(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != runbooks.RemResolved {
		t.Fatalf("remediation %s is %s: %+v", r.ID, r.Status, r.Failure)
	}
	if len(r.Instances) != 3 {
		t.Errorf("remediation holds %d instances, want the 3 events' instances", len(r.Instances))
	}
	st := a.fleet.Stats()
	for what, ops := range map[string]sim.OpStats{"backup": st.Backups, "patch": st.Patches} {
		if ops.Duplicates != 0 || ops.Starts != 1 {
			t.Errorf("%s: %d start(s), %d duplicate(s); want the instance batch sent exactly once (by tag: %v)", what, ops.Starts, ops.Duplicates, ops.ByTag)
		}
	}
	a.store.Close()
	t.Logf("%s: %d kills while remediating %d instances", backend, kills, len(r.Instances))
	// On Redis the parent sees every write of the record; on bbolt (whose
	// file the child locks) only the sim's state file, which moves when the
	// backup and the patch are sent and when Config is asked: a kill right
	// after each, before the child could store the handle, is the crash that
	// would send a second command.
	if least := map[string]int{"bolt": 3, "redis": 6}[backend]; kills < least {
		t.Errorf("only %d kills landed during the remediation (want %d or more); the test did not test crashes", kills, least)
	}
	var out bytes.Buffer
	if code := runCLI(ctx, &out, "audit", "verify", "--config", cfgPath); code != 0 || !strings.Contains(out.String(), "audit OK") {
		t.Fatalf("audit verify said: %s", out.String())
	}
}
