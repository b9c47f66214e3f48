package runbooks

import (
	"testing"
	"time"
)

func TestPreventionRolloutNextIsPure(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	mon := func(checkIn, endIn time.Duration) *Prevention {
		return &Prevention{Status: PreventionMonitoring, NextCheck: now.Add(checkIn), WindowEnds: now.Add(endIn)}
	}
	for _, tc := range []struct {
		name string
		p    *Prevention
		want ActionKind
	}{
		{"awaiting approval waits", &Prevention{Status: PreventionAwaitingApproval, MinApprovals: 2}, ActWait},
		{"approved checks exclusions", &Prevention{Status: PreventionChecking}, ActExclusionsCheck},
		{"blocked waits for a person", &Prevention{Status: PreventionBlocked}, ActWait},
		{"exclusions present assigns", &Prevention{Status: PreventionAssigning}, ActAssignPolicy},
		{"inside the window waits", mon(time.Hour, 14*24*time.Hour), ActWait},
		{"a check is due", mon(0, 14*24*time.Hour), ActDetectionsCheck},
		{"the window ended: the gate", mon(-time.Hour, 0), ActDetectionGate},
		{"finished with events flushes", &Prevention{Status: PreventionPassed, Journal: Journal{Revision: 3, Notified: 2}}, ActFlush},
		{"finished archives", &Prevention{Status: PreventionGateFailed, Journal: Journal{Revision: 3, Notified: 3}}, ActArchive},
		{"waiting with events flushes", &Prevention{Status: PreventionBlocked, Journal: Journal{Revision: 1}}, ActFlush},
	} {
		if got := NextPrevention(tc.p, now); got.Kind != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	a := NextPrevention(mon(2*time.Hour, time.Hour), now)
	if a.Kind != ActWait || !a.Until.Equal(now.Add(time.Hour)) {
		t.Errorf("a window ending before the next check waits until its end: %s until %s", a, a.Until)
	}
}

func TestPreventionRolloutGateJudgesCounts(t *testing.T) {
	th := DetectionThresholds{MaxTotal: 5, Severity: "high", MaxAtSeverity: 0}
	pass := judgeDetections(DetectionCounts{Counts: Counts{"low": 3, "medium": 2}, Hosts: 4}, th)
	if !pass.Passed {
		t.Errorf("5 low/medium within max 5: %+v", pass)
	}
	fail := judgeDetections(DetectionCounts{Counts: Counts{"low": 5, "high": 1, "critical": 1}}, th)
	if fail.Passed || fail.Reason != "7 detection(s), more than the 5 allowed; 2 at high or above, more than the 0 allowed (7 detection(s): 1 critical, 1 high, 5 low)" {
		t.Errorf("over both thresholds: %+v", fail)
	}
}

func TestPreventionRolloutExclusionsMatchGroupOrGlobal(t *testing.T) {
	req := DefaultRequiredExclusions(AWS)
	have := []EDRExclusion{
		{ID: "ml-1", Kind: ExclusionML, Patterns: []string{"/usr/bin/amazon-ssm-agent"}, Groups: []string{"hg-other"}},
		{ID: "ioa-1", Kind: ExclusionIOA, Patterns: []string{`.*/ssm-agent-worker`}, Global: true},
	}
	missing, found := missingExclusions(req, have, "hg-1")
	if len(missing) != 1 || missing[0] != "AWS SSM agent (ML)" || len(found) != 1 {
		t.Errorf("missing %v found %v: the ML exclusion applies to another group only", missing, found)
	}
	have[0].Groups = append(have[0].Groups, "hg-1")
	if missing, _ := missingExclusions(req, have, "hg-1"); len(missing) != 0 {
		t.Errorf("missing %v with both present", missing)
	}
}
