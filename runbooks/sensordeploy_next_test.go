package runbooks

import (
	"testing"
	"time"
)

func TestSensorDeployNextIsPure(t *testing.T) {
	now := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	batches := func(bs ...DeployBatch) []DeployBatch { return bs }
	sent := DeployBatch{Handle: "cmd-1"}
	done := DeployBatch{Handle: "cmd-0", Done: true}
	for _, tc := range []struct {
		name string
		d    SensorDeploy
		want ActionKind
		at   int
	}{
		{"awaiting approval waits", SensorDeploy{Status: DeployAwaitingApproval, MinApprovals: 2}, ActWait, -1},
		{"first batch is sent", SensorDeploy{Status: DeployInstalling, Concurrency: 2, Batches: batches(DeployBatch{}, DeployBatch{})}, ActInstallStart, 0},
		{"a free slot sends the next batch", SensorDeploy{Status: DeployInstalling, Concurrency: 2, Batches: batches(sent, DeployBatch{})}, ActInstallStart, 1},
		{"a full bound polls instead of sending", SensorDeploy{Status: DeployInstalling, Concurrency: 1, Batches: batches(done, sent, DeployBatch{})}, ActInstallPoll, 1},
		{"a finished batch frees its slot", SensorDeploy{Status: DeployInstalling, Concurrency: 1, Batches: batches(done, DeployBatch{})}, ActInstallStart, 1},
		{"every batch done moves on", SensorDeploy{Status: DeployInstalling, Concurrency: 1, Batches: batches(done, done)}, ActInstallsDone, -1},
		{"validation waits for registration", SensorDeploy{Status: DeployValidating, ValidateAfter: now.Add(time.Minute)}, ActWait, -1},
		{"validation runs when due", SensorDeploy{Status: DeployValidating, ValidateAfter: now}, ActDeployValidate, -1},
		{"a failure pages first", SensorDeploy{Status: DeployFailed, Failure: &Failure{Reason: "x"}}, ActPage, -1},
		{"then waits for a person", SensorDeploy{Status: DeployFailed, Failure: &Failure{Reason: "x"}, Incident: Incident{Triggered: true}}, ActWait, -1},
		{"a retry that goes on keeps the page", SensorDeploy{Status: DeployInstalling, Concurrency: 1, Batches: batches(DeployBatch{}), Incident: Incident{Triggered: true}}, ActInstallStart, 0},
		{"the end resolves the page", SensorDeploy{Status: DeployCompleted, Incident: Incident{Triggered: true}}, ActResolve, -1},
		{"undelivered events flush while waiting", SensorDeploy{Status: DeployFailed, Journal: Journal{Revision: 3, Notified: 2}}, ActFlush, -1},
		{"a finished deployment is archived", SensorDeploy{Status: DeployCompleted, Journal: Journal{Revision: 3, Notified: 3}}, ActArchive, -1},
		{"but only once delivered", SensorDeploy{Status: DeployRejected, Journal: Journal{Revision: 4, Notified: 3}}, ActFlush, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := NextSensorDeploy(&tc.d, now)
			if a.Kind != tc.want || a.Stage != tc.at {
				t.Errorf("Next = %s stage %d, want %s stage %d", a.Kind, a.Stage, tc.want, tc.at)
			}
		})
	}
}

func TestSensorDeployBatchesByCloudWithinSize(t *testing.T) {
	var hs []DeployHost
	for _, h := range []Host{{ID: "i-3", Cloud: AWS}, {ID: "vm-1", Cloud: Azure}, {ID: "i-1", Cloud: AWS}, {ID: "i-2", Cloud: AWS}} {
		hs = append(hs, DeployHost{Host: h})
	}
	bs := planBatches(hs, 2)
	if len(bs) != 3 {
		t.Fatalf("batches %+v, want 3", bs)
	}
	if bs[0].Cloud != AWS || len(bs[0].Hosts) != 2 || bs[0].Hosts[0] != "i-1" || bs[1].Hosts[0] != "i-3" || bs[2].Cloud != Azure {
		t.Errorf("batches %+v: want AWS i-1,i-2 | i-3 | Azure vm-1", bs)
	}
}
