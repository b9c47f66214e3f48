package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// The sensor deployment crash test runs `serve` as a child process, requests
// a production sensor deployment to the hosts without a sensor through the
// CLI (two approvers, four eyes, one host a batch, two batches at a time),
// and SIGKILLs the child as soon as the deployment's record moves. Each host
// must be sent exactly one install command, every host must end with a
// registered sensor, and the audit log must verify.

const deployChildEnv = "PATCHGATE_DEPLOY_CHILD"

var deployChild = crashChild{test: "TestSensorDeployCrashChild", env: deployChildEnv}

// TestSensorDeployCrashChild is the child: serve, with approvers who
// approve whatever waits; it exits once nothing is open.
func TestSensorDeployCrashChild(t *testing.T) { serveAsChild(t, deployChild) }

func TestSensorDeployCrashResume(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test runs only without -short")
	}
	for _, backend := range []string{"bolt", "redis"} {
		t.Run(backend, func(t *testing.T) { deployCrashRun(t, backend) })
	}
}

func deployCrashRun(t *testing.T, backend string) {
	cfgPath, reports, tn := simCrashConfig(t, backend, "sdcrash", "edr:\n  deploy: {batch_size: 1, concurrency: 2, register_wait: 1m}\n")
	ctx := context.Background()

	// Production's hosts lose their sensors (persisted in the sim's state).
	a := crashApp(t, cfgPath, reports, nil)
	if err := a.fleet.SetHostFault(tn+"/production", sim.FaultNoSensor); err != nil {
		t.Fatal(err)
	}
	a.store.Close()

	var out bytes.Buffer
	if code := runCLI(ctx, &out, "sensors", "deploy", tn, "production", "--as", crashReq, "--reason", "PCI 5.2", "--config", cfgPath); code != 0 {
		t.Fatalf("sensors deploy: exit %d: %s", code, out.String())
	}
	id := strings.Fields(strings.TrimPrefix(out.String(), "requested "))[0]
	if !strings.Contains(out.String(), "no Falcon sensor registered") || !strings.Contains(out.String(), "other than you (four eyes)") {
		t.Fatalf("request reply:\n%s", out.String())
	}

	kills := killWhileMoving(t, deployChild, cfgPath, reports, 40, 4*time.Minute,
		func() int64 { return deployProgress(t, cfgPath, backend, id) })
	a = crashApp(t, cfgPath, reports, nil)
	d, err := a.engine.GetSensorDeploy(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != runbooks.DeployCompleted {
		t.Fatalf("deployment %s is %s: %+v", d.ID, d.Status, d.Failure)
	}
	sends := a.fleet.InstallSends()
	for _, h := range d.Hosts {
		if n := sends[h.Host.ID]; n != 1 {
			t.Errorf("%s: sent %d install commands, want exactly one", h.Host.Name, n)
		}
	}
	cov, err := a.edr.Coverage(ctx, tn)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range cov.Envs {
		if e.Env == "production" && e.Covered != e.Hosts {
			t.Errorf("production covers %d of %d after the deployment", e.Covered, e.Hosts)
		}
	}
	a.store.Close()
	t.Logf("%s: %d kills while deploying to %d hosts in %d batches", backend, kills, len(d.Hosts), len(d.Batches))
	if kills < 4 {
		t.Errorf("only %d kills landed during the deployment; the test did not test crashes", kills)
	}
	out.Reset()
	if code := runCLI(ctx, &out, "audit", "verify", "--config", cfgPath); code != 0 || !strings.Contains(out.String(), "audit OK") {
		t.Fatalf("audit verify said: %s", out.String())
	}
}

// deployProgress changes whenever the deployment moved.
func deployProgress(t *testing.T, cfgPath, backend, id string) int64 {
	return kindProgress(t, cfgPath, backend, "sensor-deploy", id)
}

// kindProgress changes whenever a runbook record of kind moved: its
// revision read from Redis, or the sim's state file where bbolt's file is
// locked by the child.
func kindProgress(t *testing.T, cfgPath, backend, kind, id string) int64 {
	t.Helper()
	if backend == "bolt" {
		return simStateStamp(t, cfgPath)
	}
	ctx := context.Background()
	st, _, err := openStoreFromFile(ctx, cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, key := range []string{"runbooks/" + kind + "/active/" + id, "runbooks/" + kind + "/done/" + id} {
		r, err := st.Get(ctx, key)
		if err != nil {
			continue
		}
		var j runbooks.Journal
		if err := json.Unmarshal(r.Value, &j); err != nil {
			t.Fatal(err)
		}
		return j.Revision + int64(len(key))
	}
	return 0
}
