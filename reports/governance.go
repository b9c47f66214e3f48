package reports

import (
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// windowEvidence is CC8.1's change-window evidence for a production stage:
// the window it was held to and, for each operation, the occurrence it
// started in and when it ended, read from the cycle record (the engine
// stamps them with its clock when the provider answers). An operation that
// started outside its window, or ran past its end, is an exception.
func windowEvidence(s *runbooks.Stage) (ev, ex []string) {
	if s.Window == "" {
		return nil, nil
	}
	line := fmt.Sprintf("%s: change window %s", s.Name, s.Window)
	if s.MinRemaining > 0 {
		line += fmt.Sprintf(", no operation started with under %s left", runbooks.ForPeople(s.MinRemaining))
	}
	ev = append(ev, line+" (source: patchgate engine record)")
	for _, r := range s.WindowRuns {
		switch {
		case r.Waived && (r.Window.IsZero() || !r.Inside):
			ev = append(ev, fmt.Sprintf("%s: %s started at %s outside change window %s under the emergency waiver (%s)", s.Name, r.Op, ts(r.Started), s.Window, waiverNote(s, runbooks.WaiveWindow)))
			continue
		case r.Window.IsZero():
			ex = append(ex, fmt.Sprintf("%s: %s started at %s outside change window %s", s.Name, r.Op, ts(r.Started), s.Window))
			continue
		case !r.Inside:
			ex = append(ex, fmt.Sprintf("%s: %s started at %s with under %s left in window %s–%s", s.Name, r.Op, ts(r.Started),
				runbooks.ForPeople(s.MinRemaining), ts(r.Window.Start), ts(r.Window.End)))
			continue
		}
		l := fmt.Sprintf("%s: %s ran inside window %s–%s: started %s", s.Name, r.Op, ts(r.Window.Start), ts(r.Window.End), ts(r.Started))
		if !r.Done.IsZero() {
			l += ", finished " + ts(r.Done)
		}
		ev = append(ev, l)
		if r.Overrun {
			ex = append(ex, fmt.Sprintf("%s: %s overran change window %s: finished %s, %s after it closed at %s", s.Name, r.Op, s.Window,
				ts(r.Done), runbooks.ForPeople(r.Done.Sub(r.Window.End)), ts(r.Window.End)))
		}
	}
	return ev, ex
}

// emergencyEvidence is what makes an emergency change one in the report:
// its reason and scope, and each waiver with who gave it, when and why.
func emergencyEvidence(c *runbooks.Cycle) []string {
	em := c.Emergency
	if em == nil {
		return nil
	}
	scope := "every host of " + c.Tenant
	if len(em.Hosts) > 0 {
		scope = strings.Join(em.Hosts, ", ")
	}
	out := []string{fmt.Sprintf("EMERGENCY change (out of cycle) for %s: %s (source: patchgate engine record)", scope, em.Reason)}
	for _, s := range envStages(c) {
		for _, w := range s.Waivers {
			out = append(out, fmt.Sprintf("%s: %s waived by %s at %s; justification: %s", s.Name, w.What, personName(w.By, w.Person), ts(w.At), w.Justification))
		}
	}
	return out
}

// waiverNote names who waived what on s and why.
func waiverNote(s *runbooks.Stage, what string) string {
	for _, w := range s.Waivers {
		if w.What == what {
			return fmt.Sprintf("by %s: %s", personName(w.By, w.Person), w.Justification)
		}
	}
	return "no waiver recorded"
}

func personName(id string, p *runbooks.Person) string {
	if p != nil && p.Name != "" {
		return p.Name + " (" + id + ")"
	}
	return id
}
