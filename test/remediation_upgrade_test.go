package test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

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

// TestConfigEventGatheredFormat2RecordFinishes: a remediation written by
// the release before instance blobs (format 2: its window's entries
// gathered into the record inline), already sealed, gathered and awaiting
// approval when the release changes, is approved, patched and resolved by
// this one, keeping its instances inline (no blob is written for it) and
// readable after the archive, its entries dropped.
func TestConfigEventGatheredFormat2RecordFinishes(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			h := remHarness(t, b)
			tn := gateTenant().Name
			hosts := h.envHosts(tn, "staging")
			id := "RM-" + tn + "-20261201-000000-f2f2f2"
			rule := "ec2-managedinstance-patch-compliance-status-check"
			old := runbooks.Remediation{ID: id, Tenant: tn, Env: "staging", Status: runbooks.RemAwaitingApproval,
				Created: h.clock.Now(), WindowEnd: h.clock.Now(), MinApprovals: 1, SensorGate: true,
				Format: runbooks.RemFormatEntries, Sealed: true, Gathered: true}
			seed := map[string][]byte{}
			for k, host := range hosts[:2] {
				in := runbooks.RemediationInstance{Host: runbooks.Host{ID: host.ID, Name: host.ID, Cloud: host.Cloud,
					Account: host.Account, Region: host.Region, Env: "staging"}, Rules: []string{rule},
					Since: start.Add(-time.Duration(k) * time.Hour), Compliance: runbooks.NonCompliant, At: start,
					FirstEvent: fmt.Sprintf("old-%d", k), Source: "sqs:patchgate-compliance"}
				old.Instances = append(old.Instances, in)
				raw, _ := json.Marshal(in)
				seed["runbooks/remediation/window/"+id+"/"+host.ID] = raw
				seed[fmt.Sprintf("runbooks/remediation/event/old-%d", k)] = []byte(id)
			}
			raw, _ := json.Marshal(old)
			seed["runbooks/remediation/active/"+id] = raw
			for key, val := range seed {
				if _, err := h.store.Create(ctx, key, val); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := h.decideRem(ctx, id, runbooks.Approve, alice, ""); err != nil {
				t.Fatal(err)
			}
			r := h.runRemediation(ctx, id, 30)
			if r.Status != runbooks.RemResolved {
				t.Fatalf("the format-2 remediation is %s after the upgrade, want resolved (failure %+v, last error %s)", r.Status, r.Failure, r.LastError)
			}
			h.tickAll(ctx)
			done, err := h.store.Get(ctx, "runbooks/remediation/done/"+id)
			if err != nil {
				t.Fatalf("archived record: %v", err)
			}
			var stored map[string]json.RawMessage
			if err := json.Unmarshal(done.Value, &stored); err != nil {
				t.Fatal(err)
			}
			var inline []runbooks.RemediationInstance
			_ = json.Unmarshal(stored["instances"], &inline)
			if string(stored["format"]) != "2" || len(inline) != 2 || stored["instances_blob"] != nil {
				t.Fatalf("archived as format %s with %d inline instances, blob %s; want format 2, both inline, no blob",
					stored["format"], len(inline), stored["instances_blob"])
			}
			r = h.remediation(ctx, id)
			if len(r.Instances) != 2 || r.Instances[0].Compliance != runbooks.Compliant || r.Instances[1].Compliance != runbooks.Compliant {
				t.Fatalf("archived instances %+v, want both COMPLIANT", r.Instances)
			}
			if left, _ := h.store.List(ctx, "runbooks/remediation/window/"+id+"/"); len(left) != 0 {
				t.Errorf("%d window entries left after the archive", len(left))
			}
		})
	}
}

// TestConfigEventRollingUpdateWritesFormat2: while engine.record_format is
// 2 (replicas of the release before instance blobs still run), a new
// remediation is opened in format 2 and gathers its instances inline,
// where those replicas read them; no instances blob is written.
func TestConfigEventRollingUpdateWritesFormat2(t *testing.T) {
	ctx := context.Background()
	b := backends()[0]
	h := remHarness(t, b)
	deps := runbooks.Deps{Store: h.store, Clock: h.clock, Inventory: h.fleet, Sensors: h.fleet, Backups: h.fleet, Patcher: h.fleet,
		Health: h.fleet, Pager: h.fleet, Directory: h.fleet, Chat: h.chat, Compliance: h.fleet}
	e, err := runbooks.New(runbooks.Config{Replica: "rolling", WriteFormat: 2}, deps, []runbooks.Tenant{gateTenant()}, testPipeline())
	if err != nil {
		t.Fatal(err)
	}
	tn := gateTenant().Name
	host := h.envHosts(tn, "staging")[0]
	id, err := e.IntakeComplianceEvent(ctx, nonCompliant("ev-r", host, tn, "staging", start))
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(runbooks.DefaultRemediationDebounce)
	for range 4 {
		if err := e.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := h.store.Get(ctx, "runbooks/remediation/active/"+id)
	if err != nil {
		t.Fatal(err)
	}
	var stored map[string]json.RawMessage
	if err := json.Unmarshal(raw.Value, &stored); err != nil {
		t.Fatal(err)
	}
	var inline []runbooks.RemediationInstance
	_ = json.Unmarshal(stored["instances"], &inline)
	if string(stored["format"]) != "2" || string(stored["gathered"]) != "true" || len(inline) != 1 || stored["instances_blob"] != nil {
		t.Fatalf("record written as format %s, gathered %s, %d inline instance(s), blob %s; want format 2 gathered inline, no blob",
			stored["format"], stored["gathered"], len(inline), stored["instances_blob"])
	}
	if blobs, _ := h.store.List(ctx, "blobs/"+id+"/"); len(blobs) != 0 {
		t.Errorf("%d blob chunk(s) written for a format-2 remediation", len(blobs))
	}
}
