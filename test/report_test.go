package test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
)

// TestReportEvidence: the report stage hands the reporter what the store
// holds — the audit trail up to the report, the refusals, the hosts found
// in preflight — and the chain head it vouches for matches the stream.
func TestReportEvidence(t *testing.T) {
	ctx := context.Background()
	tn := gateTenant().Name
	h := newGateHarness(t, backends()[0], sim.Faults{})
	c := h.start(ctx, tn)
	c = h.runUntil(ctx, c.ID, "nonprod awaits approval", awaiting("nonprod"))
	h.refused(ctx, c.ID, "nonprod", runbooks.Approve, outsider, runbooks.CodeForbidden)
	c = h.finish(ctx, c.ID)
	if c.Report == nil {
		t.Fatal("no report")
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(c.Report.Location), "evidence.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev reports.Evidence
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.HostsBefore) != c.Scope.Hosts || len(ev.Hosts) != len(ev.HostsBefore) || len(ev.Hosts) == 0 {
		t.Errorf("evidence has %d hosts before and %d after, the cycle's scope %d", len(ev.HostsBefore), len(ev.Hosts), c.Scope.Hosts)
	}
	for i := range ev.Hosts {
		if ev.HostsBefore[i].PendingPatches == 0 || ev.Hosts[i].PendingPatches != 0 {
			t.Errorf("%s: %d pending at preflight, %d at the report; want some, then none",
				ev.Hosts[i].Name, ev.HostsBefore[i].PendingPatches, ev.Hosts[i].PendingPatches)
		}
	}
	if len(ev.Refusals) != 1 || ev.Refusals[0].Actor != outsider {
		t.Errorf("evidence refusals %+v, want the outsider's", ev.Refusals)
	}
	entries, err := h.store.Read(ctx, runbooks.AuditStream(c.ID), ev.AuditEntries, 1)
	if err != nil || len(entries) != 1 || entries[0].Hash != ev.AuditHead || int64(len(ev.Events)) != ev.AuditEntries {
		t.Errorf("evidence vouches for head %d %s over %d events; the stream says %+v (%v)", ev.AuditEntries, ev.AuditHead, len(ev.Events), entries, err)
	}
}
