package bot

import (
	"fmt"
	"strings"
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

// governanceLine is the thread line of a change-window or freeze event, or
// "" for other events; these events each get a thread message, so the
// thread says when a waiting stage starts and why it is held.
func governanceLine(ev runbooks.Event) string {
	stage, detail := "*"+esc(ev.Stage)+"*", esc(clip(ev.Detail, 500))
	switch ev.Type {
	case runbooks.EvWindowWait:
		return "🕑 " + stage + ": " + detail
	case runbooks.EvWindowOpened:
		return "🟢 " + stage + ": " + detail
	case runbooks.EvWindowOverrun:
		return "⚠️ " + stage + ": " + detail
	case runbooks.EvFreezeHolding:
		return "🧊 " + stage + " held: " + esc(clip(strings.TrimPrefix(ev.Detail, "frozen: "), 500))
	case runbooks.EvFreezeEnded:
		return "🟢 " + detail + "; the cycle goes on"
	case runbooks.EvApprovalReminder:
		var who []string
		for _, u := range strings.Fields(ev.Data["approvers"]) {
			who = append(who, mention(u))
		}
		for _, g := range strings.Fields(ev.Data["groups"]) {
			who = append(who, "<!subteam^"+esc(g)+">")
		}
		return "⏰ " + stage + ": " + detail + ". " + strings.Join(who, " ")
	case runbooks.EvCycleExpired:
		return "⌛ " + stage + ": " + detail
	}
	return ""
}
