package bot

import (
	"fmt"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// windowNote says that a stage waits for its change window and when it
// opens, or "" when it does not wait.
func windowNote(s *runbooks.Stage, now time.Time) string {
	waiting := s.Phase == runbooks.PhaseWindow ||
		(s.Phase == runbooks.PhaseBackup && !s.Backup.Sent()) || (s.Phase == runbooks.PhasePatch && !s.Patch.Sent())
	if !waiting || s.Window == "" || !s.WindowWait.After(now) {
		return ""
	}
	what := "approved, waiting for change window "
	if s.Phase != runbooks.PhaseWindow {
		what = string(s.Phase) + " waiting for change window "
	}
	return what + esc(s.Window) + ", opens in " + until(s.WindowWait.Sub(now)) + " (" + utc(s.WindowWait) + ")"
}

// until says a long wait in days and hours, a short one to the minute.
func until(d time.Duration) string {
	if d < 48*time.Hour {
		return runbooks.ForPeople(d.Truncate(time.Minute))
	}
	return fmt.Sprintf("%dd%dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}
