package runbooks

import (
	"strings"
	"testing"
	"time"
)

// TestChangeRecordNext tables what Next does about a cycle's change record:
// nothing without one, create, one state at a time after the approval,
// look at the approval while unapproved, wait out a retry without holding
// the cycle, close before archiving, and hold a stage that requires the
// approval.
func TestChangeRecordNext(t *testing.T) {
	now := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	base := func(mod func(c *Cycle)) *Cycle {
		c := &Cycle{ID: "c1", Status: StatusRunning, Stages: []Stage{
			{Name: "preflight", Kind: KindPreflight, Phase: PhaseDone},
			{Name: "nonprod", Kind: KindEnvironment, Env: "nonprod", Phase: PhaseApproval, MinApprovals: 1},
			{Name: "production", Kind: KindEnvironment, Env: "production", Phase: PhasePending, MinApprovals: 2},
			{Name: "report", Kind: KindReport, Phase: PhasePending},
		}, Change: &ChangeRef{Platform: "servicenow", Kind: ChangeNormal}}
		if mod != nil {
			mod(c)
		}
		return c
	}
	created := func(c *Cycle) { c.Change.ID, c.Change.Number, c.Change.State = "sys1", "CHG1", ChangeRequested }
	cases := []struct {
		name   string
		c      *Cycle
		kind   ActionKind
		reason string
	}{
		{"no record: nothing", base(func(c *Cycle) { c.Change = nil }), ActWait, "awaiting approval"},
		{"create first", base(nil), ActChange, "create"},
		{"created: request approval", base(func(c *Cycle) { c.Change.ID, c.Change.Number = "sys1", "CHG1" }), ActChange, "requested"},
		{"requested, stage awaiting slack: nothing", base(created), ActWait, "awaiting approval"},
		{"working but unapproved: look at the approval", base(func(c *Cycle) {
			created(c)
			c.Stages[1].Phase = PhasePatch
		}), ActChange, "poll"},
		{"working and approved: implement", base(func(c *Cycle) {
			created(c)
			c.Change.Approved = true
			c.Stages[1].Phase = PhasePatch
		}), ActChange, "implement"},
		{"a retry not due does not hold the cycle", base(func(c *Cycle) {
			c.Change.RetryAt = now.Add(time.Minute)
			c.Stages[1].Phase = PhasePatch
		}), ActStartPatch, ""},
		{"report: review after implement", base(func(c *Cycle) {
			created(c)
			c.Change.Approved, c.Change.State = true, ChangeImplementing
			c.Stages[1].Phase, c.Stages[2].Phase = PhaseDone, PhaseDone
		}), ActChange, "review"},
		{"completed: close before archive", base(func(c *Cycle) {
			created(c)
			c.Status = StatusCompleted
		}), ActChange, "close"},
		{"completed, close failing: wait, not archive", base(func(c *Cycle) {
			created(c)
			c.Status, c.Change.RetryAt, c.Change.LastError = StatusCompleted, now.Add(time.Minute), "HTTP 503"
		}), ActWait, "closing ServiceNow CHG1"},
		{"completed, close given up: archive", base(func(c *Cycle) {
			created(c)
			c.Status, c.Change.GaveUp = StatusCompleted, "close not done"
		}), ActArchive, ""},
		{"rejected before created: nothing to close", base(func(c *Cycle) { c.Status = StatusRejected }), ActArchive, ""},
		{"required approval holds the stage", base(func(c *Cycle) {
			created(c)
			c.Change.RetryAt = now.Add(time.Minute)
			c.Stages[1].Phase = PhaseDone
			c.Stages[2].RequireChangeApproval = true
		}), ActWait, "waiting for ServiceNow CHG1"},
		{"required approval due: look", base(func(c *Cycle) {
			created(c)
			c.Stages[1].Phase = PhaseDone
			c.Stages[2].RequireChangeApproval = true
		}), ActChange, "poll"},
		{"required approval given: open", base(func(c *Cycle) {
			created(c)
			c.Change.Approved, c.Change.State = true, ChangeImplementing
			c.Stages[1].Phase = PhaseDone
			c.Stages[2].RequireChangeApproval = true
		}), ActOpen, ""},
		{"required but no record: hold", base(func(c *Cycle) {
			c.Change = nil
			c.Stages[1].Phase = PhaseDone
			c.Stages[2].RequireChangeApproval = true
		}), ActWait, "change records are off"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := work(tc.c, now)
			if a.Kind != tc.kind || !strings.Contains(a.Reason, tc.reason) {
				t.Fatalf("%v, want %s %q", a, tc.kind, tc.reason)
			}
		})
	}
}

// TestChangeRecordOldRecordsDecode: a cycle written before change records
// existed has none, and Next leaves it alone.
func TestChangeRecordOldRecordsDecode(t *testing.T) {
	c := &Cycle{Status: StatusRunning, Stages: []Stage{{Name: "preflight", Kind: KindPreflight, Phase: PhasePending}}}
	if a := Next(c, time.Now()); a.Kind != ActOpen {
		t.Fatalf("%v", a)
	}
	if c.ChangeTrouble() != "" || c.Change.Label() != "" {
		t.Fatal("trouble without a record")
	}
}
