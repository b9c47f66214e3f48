package runbooks

import (
	"testing"
	"time"
)

func TestConfigEventNextRemediation(t *testing.T) {
	now := time.Date(2026, 12, 8, 14, 0, 0, 0, time.UTC) // a Tuesday
	inst := []RemediationInstance{{Host: Host{ID: "i-1"}, Compliance: NonCompliant}}
	compliant := []RemediationInstance{{Host: Host{ID: "i-1"}, Compliance: Compliant}}
	sent := Op{Handle: "cmd-1", Tag: "t"}
	freeze := Freeze{Tenant: "acme", Until: now.Add(time.Hour), Reason: "month end", Source: FreezeConfig}
	cases := []struct {
		name string
		r    Remediation
		fz   []Freeze
		want ActionKind
	}{
		{"collecting waits for the debounce window", Remediation{Status: RemCollecting, WindowEnd: now.Add(time.Minute), Instances: inst}, nil, ActWait},
		{"the window ended: post the card", Remediation{Status: RemCollecting, WindowEnd: now, Instances: inst}, nil, ActRemClose},
		{"an empty window is archived", Remediation{Status: RemCollecting, WindowEnd: now}, nil, ActArchive},
		{"awaiting approval waits", Remediation{Status: RemAwaitingApproval, Instances: inst, MinApprovals: 2}, nil, ActWait},
		{"compliant again before approval resolves", Remediation{Status: RemAwaitingApproval, Instances: compliant}, nil, ActRemSelfHealed},
		{"approved starts the gates", Remediation{Status: RemApproved, Instances: inst}, nil, ActRemStart},
		{"approved under a freeze records the hold", Remediation{Status: RemApproved, Tenant: "acme", Instances: inst}, []Freeze{freeze}, ActFreezeHold},
		{"a recorded freeze hold waits", Remediation{Status: RemApproved, Tenant: "acme", Instances: inst, Held: "freeze:" + freeze.key()}, []Freeze{freeze}, ActWait},
		{"another tenant's freeze does not hold", Remediation{Status: RemApproved, Tenant: "zeta", Instances: inst}, []Freeze{freeze}, ActRemStart},
		{"outside the change window records the wait", Remediation{Status: RemApproved, Instances: inst, Window: "SUN 02:00-06:00"}, nil, ActWindowHold},
		{"inside the change window starts", Remediation{Status: RemApproved, Instances: inst, Window: "TUE 13:00-18:00"}, nil, ActRemStart},
		{"gates: inventory first", Remediation{Status: RemGates, Instances: inst, SensorGate: true}, nil, ActInventory},
		{"gates: sensors after inventory", Remediation{Status: RemGates, Instances: inst, SensorGate: true, Gates: []Gate{{Name: "inventory"}}}, nil, ActSensors},
		{"gates: backup after sensors", Remediation{Status: RemGates, Instances: inst, SensorGate: true, Gates: []Gate{{Name: "inventory"}, {Name: "sensors"}}}, nil, ActStartBackup},
		{"gates: a freeze holds the backup", Remediation{Status: RemGates, Tenant: "acme", Instances: inst, Gates: []Gate{{Name: "inventory"}}}, []Freeze{freeze}, ActFreezeHold},
		{"gates: a sent backup is polled", Remediation{Status: RemGates, Instances: inst, Gates: []Gate{{Name: "inventory"}}, Backup: sent}, nil, ActPollBackup},
		{"patching sends the patch", Remediation{Status: RemPatching, Instances: inst}, nil, ActStartPatch},
		{"a sent patch is polled, never sent again", Remediation{Status: RemPatching, Instances: inst, Patch: sent}, nil, ActPollPatch},
		{"verifying verifies", Remediation{Status: RemVerifying, Instances: inst}, nil, ActVerify},
		{"evaluating asks Config first", Remediation{Status: RemEvaluating, Instances: inst}, nil, ActRemEvaluate},
		{"evaluating waits between reads", Remediation{Status: RemEvaluating, Instances: inst, EvalStarted: now, EvalChecked: now, EvalDeadline: now.Add(time.Hour), EvalPoll: time.Minute}, nil, ActWait},
		{"evaluating reads Config when due", Remediation{Status: RemEvaluating, Instances: inst, EvalStarted: now.Add(-2 * time.Minute), EvalChecked: now.Add(-time.Minute), EvalDeadline: now.Add(time.Hour), EvalPoll: time.Minute}, nil, ActRemCompliance},
		{"evaluating times out", Remediation{Status: RemEvaluating, Instances: inst, EvalStarted: now.Add(-time.Hour), EvalChecked: now, EvalDeadline: now}, nil, ActRemTimeout},
		{"failed pages once", Remediation{Status: RemFailed, Failure: &Failure{Reason: "x"}}, nil, ActPage},
		{"failed and paged waits", Remediation{Status: RemFailed, Failure: &Failure{Reason: "x"}, Incident: Incident{Triggered: true}}, nil, ActWait},
		{"dismissed after a page resolves it", Remediation{Status: RemDismissed, Failure: &Failure{Reason: "x"}, Incident: Incident{Triggered: true}}, nil, ActResolve},
		{"events not delivered are flushed while waiting", Remediation{Status: RemAwaitingApproval, Instances: inst, Journal: Journal{Revision: 3, Notified: 2}}, nil, ActFlush},
		{"resolved is archived", Remediation{Status: RemResolved, Journal: Journal{Revision: 3, Notified: 3}}, nil, ActArchive},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := NextRemediation(&c.r, now, c.fz); got.Kind != c.want {
				t.Fatalf("NextRemediation = %s (%s), want %s", got.Kind, got.Reason, c.want)
			}
		})
	}
}
