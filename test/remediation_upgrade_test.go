package test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

// TestConfigEventOlderRecordFinishes: a remediation written in the format
// before window entries (instances and event IDs inline, its claim a
// record without a lifetime) still recognises its event's redelivery,
// takes new events inline, and posts its card when its window ends.
func TestConfigEventOlderRecordFinishes(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			h := remHarness(t, b)
			tn := gateTenant().Name
			hosts := h.envHosts(tn, "nonprod")
			id := "RM-" + tn + "-20261201-000000-abcdef"
			old := runbooks.Remediation{ID: id, Tenant: tn, Env: "nonprod", Status: runbooks.RemCollecting,
				Created: h.clock.Now(), WindowEnd: h.clock.Now().Add(runbooks.DefaultRemediationDebounce), MinApprovals: 1,
				Instances: []runbooks.RemediationInstance{{Host: runbooks.Host{ID: hosts[0].ID, Name: hosts[0].ID, Cloud: runbooks.AWS,
					Account: hosts[0].Account, Region: hosts[0].Region, Env: "nonprod"}, Rules: []string{"ec2-managedinstance-patch-compliance-status-check"},
					Since: start, Compliance: runbooks.NonCompliant, At: start}},
				EventIDs: []string{"old-1"}}
			raw, _ := json.Marshal(old)
			for key, val := range map[string][]byte{"runbooks/remediation/active/" + id: raw, "runbooks/remediation/event/old-1": []byte(id),
				"runbooks/remediation/collecting/" + tn + "/nonprod": []byte(id)} {
				if _, err := h.store.Create(ctx, key, val); err != nil {
					t.Fatal(err)
				}
			}
			if got := h.intakeEverywhere(ctx, nonCompliant("old-1", hosts[0], tn, "nonprod", start)); got != id {
				t.Fatalf("redelivered old-1 went to %q, want %s", got, id)
			}
			if v, _ := h.store.Get(ctx, "runbooks/remediation/active/"+id); v.Version != 1 {
				t.Fatalf("the redelivery rewrote the older record (version %d)", v.Version)
			}
			other := hosts[len(hosts)-1]
			if got := h.intakeEverywhere(ctx, nonCompliant("new-1", other, tn, "nonprod", h.clock.Now())); got != id {
				t.Fatalf("an event in the older record's window went to %q, want %s", got, id)
			}
			r := h.remediation(ctx, id)
			if r.Format != 0 || len(r.EventIDs) != 2 || len(r.Instances) != 2 {
				t.Fatalf("older record after a new event: format %d, %d event IDs, %d instances; want 0, 2, 2", r.Format, len(r.EventIDs), len(r.Instances))
			}
			h.clock.Advance(runbooks.DefaultRemediationDebounce)
			if r = h.runRemediation(ctx, id, 3); r.Status != runbooks.RemAwaitingApproval {
				t.Fatalf("after its window the older remediation is %s, want awaiting approval", r.Status)
			}
			if countType(h.remEvents(ctx, id), runbooks.EvRemediationCard) != 1 {
				t.Fatal("the older remediation posted no card")
			}
		})
	}
}
