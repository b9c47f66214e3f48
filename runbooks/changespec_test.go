package runbooks

import (
	"testing"
	"time"
)

// TestChangeRecordPlannedSpanFromWindow: the change record's planned start
// is the first stage's, and a windowed stage is planned into its window's
// next occurrence that leaves min_remaining, so the planned end is the
// production window's close, not a guess from the request time.
func TestChangeRecordPlannedSpanFromWindow(t *testing.T) {
	created := time.Date(2026, 11, 21, 20, 0, 0, 0, time.UTC) // Saturday 14:00 in Chicago
	c := &Cycle{Created: created, Stages: []Stage{
		{Name: "preflight", Kind: KindPreflight},
		{Name: "nonprod", Kind: KindEnvironment},
		{Name: "production", Kind: KindEnvironment, Window: "SUN 02:00-06:00 America/Chicago", MinRemaining: time.Hour},
		{Name: "report", Kind: KindReport},
	}}
	start, end := plannedSpan(c, created)
	if want := created; !start.Equal(want) {
		t.Errorf("planned start %s, want %s (nonprod runs at once)", start, want)
	}
	if want := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC); !end.Equal(want) {
		t.Errorf("planned end %s, want %s (production's window closes 06:00 CST)", end, want)
	}

	// Requested inside the window with under min_remaining left: the next
	// week's occurrence.
	late := time.Date(2026, 11, 22, 11, 30, 0, 0, time.UTC)
	c.Created, c.Stages[1].Kind = late, KindReport
	start, end = plannedSpan(c, late)
	if want := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC); !start.Equal(want) || !end.Equal(want.Add(4*time.Hour)) {
		t.Errorf("planned %s–%s, want next Sunday's window from %s", start, end, want)
	}

	// A waived window plans the stage at once.
	c.Stages[2].Waivers = []Waiver{{What: WaiveWindow, Justification: "exploited in the wild"}}
	if start, _ = plannedSpan(c, late); !start.Equal(late) {
		t.Errorf("waived window: planned start %s, want %s", start, late)
	}
}

// TestChangeRecordStaysRequestedWhileTheWindowIsClosed: an approved stage
// waiting for its window has changed nothing, so the record is not moved to
// implement yet.
func TestChangeRecordStaysRequestedWhileTheWindowIsClosed(t *testing.T) {
	c := &Cycle{Status: StatusRunning, Stages: []Stage{
		{Name: "preflight", Kind: KindPreflight, Phase: PhaseDone},
		{Name: "production", Kind: KindEnvironment, Phase: PhaseWindow},
		{Name: "report", Kind: KindReport, Phase: PhasePending},
	}}
	if got := c.changeWant(); got != ChangeRequested {
		t.Errorf("awaiting the window: want %s, got %s", ChangeRequested, got)
	}
	c.Stages[1].Phase = PhaseBackup
	if got := c.changeWant(); got != ChangeImplementing {
		t.Errorf("backing up: want %s, got %s", ChangeImplementing, got)
	}
}
