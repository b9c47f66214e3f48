package reports

import (
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// TestPreventionRolloutEvidence: CC6.8 shows each tier's mode with its
// rollout, approvals and detection gate, and a failed gate as an
// exception; PCI DSS 5.3 gives the mode and policy per host by its tier,
// and a host whose tier no rollout moved as not recorded.
func TestPreventionRolloutEvidence(t *testing.T) {
	at := time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)
	plan := runbooks.PreventionTier{HostGroup: "hg-np", PreventionPolicy: "pol-prev", DetectionPolicy: "pol-det"}
	passed := &runbooks.Prevention{ID: "PV-1", Tier: "nonprod", Mode: runbooks.ModePrevention, Status: runbooks.PreventionPassed, Plan: plan,
		Created: at, Assigned: at, Move: &runbooks.PolicyMove{Added: true, Source: runbooks.SourceFalcon},
		Approvals: []runbooks.Approval{{By: "U-ALICE", At: at}},
		Gate: &runbooks.DetectionGate{Passed: true, Reason: "no detections on 2 host(s), within the thresholds",
			DetectionCounts: runbooks.DetectionCounts{Source: runbooks.SourceFalcon}}}
	failed := &runbooks.Prevention{ID: "PV-2", Tier: "staging", Mode: runbooks.ModePrevention, Status: runbooks.PreventionGateFailed, Plan: plan,
		Created: at.Add(time.Hour), Assigned: at.Add(time.Hour), Move: &runbooks.PolicyMove{Source: runbooks.SourceFalcon},
		Gate: &runbooks.DetectionGate{Reason: "7 detection(s), more than the 5 allowed", DetectionCounts: runbooks.DetectionCounts{Source: runbooks.SourceFalcon}}}
	b := &Bundle{Preventions: []*runbooks.Prevention{passed, failed}, Hosts: []runbooks.Host{
		{ID: "i-1", Name: "np-1", Env: "nonprod"}, {ID: "i-2", Name: "st-1", Env: "staging"}, {ID: "i-3", Name: "pr-1", Env: "production"}}}

	cc := evalCC68(b)
	if cc.Status != StatusException || len(cc.Evidence) != 1 || len(cc.Exceptions) != 1 ||
		!strings.Contains(cc.Evidence[0], "nonprod: prevention PV-1 (passed)") || !strings.Contains(cc.Evidence[0], "approved by U-ALICE") ||
		!strings.Contains(cc.Evidence[0], "detection gate passed") || !strings.Contains(cc.Exceptions[0], "7 detection(s)") {
		t.Errorf("CC6.8 %+v", cc)
	}
	pci := evalPCI53(b)
	joined := strings.Join(pci.Evidence, "\n")
	if pci.Status != StatusException || !strings.Contains(joined, "nonprod: 1 host(s) in prevention mode, policy pol-prev, assigned by PV-1 (source: falcon)") ||
		len(pci.Exceptions) != 1 || !strings.Contains(pci.Exceptions[0], "pr-1 (i-3, production): EDR mode not recorded") {
		t.Errorf("PCI 5.3 %+v", pci)
	}
	if r := evalCC68(&Bundle{}); r.Status != StatusNotApplicable {
		t.Errorf("no rollouts: %+v", r)
	}
}
