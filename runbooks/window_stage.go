package runbooks

import (
	"fmt"
	"time"
)

// Change-window events.
const (
	EvWindowWait    = "window.waiting" // a stage or an operation waits for the window to open
	EvWindowOpened  = "window.opened"  // an approved stage's window opened; it goes on
	EvWindowOverrun = "window.overrun" // an operation finished after its window closed
)

// WindowRun is one operation of a stage and the window occurrence it
// started in: what a report shows as "ran inside its change window".
type WindowRun struct {
	Op      string    `json:"op"` // backup or patch
	Window  Span      `json:"window,omitzero"`
	Started time.Time `json:"started"`
	Done    time.Time `json:"done,omitzero"`
	// Inside: the operation started in an open window with at least
	// MinRemaining left. Overrun: it finished after that window closed.
	Inside  bool `json:"inside"`
	Overrun bool `json:"overrun,omitempty"`
	// Waived: an emergency approver waived the window (see Stage.Waivers).
	Waived bool `json:"waived,omitempty"`
}

// stageWindow is the window a tenant's stage of spec runs in: the tenant's
// override, else the tier's.
func stageWindow(t Tenant, spec EnvSpec) string {
	if w, ok := t.Windows[spec.Env]; ok && w != "" {
		return w
	}
	return spec.Window
}

// window parses the stage's window; configuration validated it, so an
// error means a record edited by hand.
func (s *Stage) window() (Window, error) { return ParseWindow(s.Window, time.UTC) }

// windowGate decides whether stage i may start what (the stage itself, a
// backup, patching) at now: only inside its window with at least
// MinRemaining left. Otherwise it waits for the next opening, and the first
// time it does so for that opening the wait is recorded (ActWindowHold), so
// the thread says when it will start.
func (s *Stage) windowGate(i int, now time.Time, what string) (Action, bool) {
	if s.Window == "" || s.Waived(WaiveWindow) {
		return Action{}, false
	}
	w, err := s.window()
	if err != nil {
		return Action{Kind: ActWait, Stage: i, Reason: "change window unusable: " + err.Error()}, true
	}
	span, open := w.Open(now)
	if open && span.End.Sub(now) >= s.MinRemaining {
		return Action{}, false
	}
	next := w.NextOpen(now)
	var reason string
	if open {
		reason = fmt.Sprintf("%s waits: %s left in change window %s is under min_remaining %s; next opening %s",
			what, ForPeople(span.End.Sub(now)), w.Spec, ForPeople(s.MinRemaining), whenLocal(next.Start, w.Loc))
	} else {
		reason = fmt.Sprintf("%s waits for change window %s, opening %s", what, w.Spec, whenLocal(next.Start, w.Loc))
	}
	kind := ActWait
	if !s.WindowWait.Equal(next.Start) {
		kind = ActWindowHold
	}
	return Action{Kind: kind, Stage: i, Until: next.Start, Reason: reason}, true
}

// whenLocal names an instant in the window's zone and in UTC.
func whenLocal(t time.Time, loc *time.Location) string {
	u := t.UTC().Format("2006-01-02 15:04 MST")
	if loc == nil || loc == time.UTC {
		return u
	}
	return t.In(loc).Format("Mon 2006-01-02 15:04 MST") + " (" + u + ")"
}

// windowStep executes ActWindowHold and ActWindowOpen on n.
func (c *Cycle) windowStep(a Action, now time.Time) {
	s := &c.Stages[a.Stage]
	switch a.Kind {
	case ActWindowHold:
		s.WindowWait = a.Until
		c.emit(now, s.Name, EvWindowWait, ActorSystem, a.Reason,
			map[string]string{"window": s.Window, "opens": a.Until.UTC().Format(time.RFC3339)})
	case ActWindowOpen:
		data := map[string]string{"window": s.Window}
		detail := "change window " + s.Window + " is open"
		if w, err := s.window(); err == nil {
			if span, ok := w.Open(now); ok {
				data["closes"] = span.End.UTC().Format(time.RFC3339)
				detail += ", closing " + whenLocal(span.End, w.Loc)
			}
		}
		c.emit(now, s.Name, EvWindowOpened, ActorSystem, detail, data)
		c.advance(a.Stage, now)
	}
}

// windowStarted records the window occurrence operation k of stage i
// started in.
func (c *Cycle) windowStarted(i int, k opKind, now time.Time) {
	s := &c.Stages[i]
	if s.Window == "" {
		return
	}
	run := WindowRun{Op: string(k), Started: now, Waived: s.Waived(WaiveWindow)}
	if w, err := s.window(); err == nil {
		if span, ok := w.Open(now); ok {
			run.Window, run.Inside = span, span.End.Sub(now) >= s.MinRemaining
		}
	}
	s.WindowRuns = append(s.WindowRuns, run)
}

// windowFinished closes operation k's run; one that ends after its window
// closed is reported as an overrun (it was allowed to finish).
func (c *Cycle) windowFinished(i int, k opKind, now time.Time) {
	s := &c.Stages[i]
	for j := len(s.WindowRuns) - 1; j >= 0; j-- {
		r := &s.WindowRuns[j]
		if r.Op != string(k) || !r.Done.IsZero() {
			continue
		}
		r.Done = now
		if r.Window.IsZero() || now.After(r.Window.End) {
			r.Overrun = true
			closed := "no window was open when it started"
			if !r.Window.IsZero() {
				closed = fmt.Sprintf("%s after change window %s closed at %s", ForPeople(now.Sub(r.Window.End)), s.Window,
					r.Window.End.UTC().Format("2006-01-02 15:04 MST"))
			}
			data := map[string]string{"op": string(k), "window": s.Window}
			if !r.Window.IsZero() {
				data["closed"] = r.Window.End.UTC().Format(time.RFC3339)
			}
			c.emit(now, s.Name, EvWindowOverrun, ActorSystem, fmt.Sprintf("window overrun: %s finished %s", k, closed), data)
		}
		return
	}
}

// approvedNote says when an approved stage goes on: now, or when its
// window opens.
func (s *Stage) approvedNote(now time.Time) string {
	if s.Phase != PhaseWindow {
		return "it starts now"
	}
	if a, held := s.windowGate(0, now, "it"); held {
		return a.Reason
	}
	return "its change window is open; it starts now"
}
