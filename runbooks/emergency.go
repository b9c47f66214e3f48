package runbooks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Emergency marks a cycle as an out-of-cycle emergency change (a critical
// CVE): its own approvers (the tiers' emergency_approvers), still two
// people and four eyes in production, a change record of type emergency,
// and soak and window waivable only with a recorded justification.
type Emergency struct {
	Reason string `json:"reason"`
	// Hosts narrows the change to these hosts (names or IDs); empty is
	// every host of the tenant.
	Hosts []string `json:"hosts,omitempty"`
}

// Waiver is an emergency approver's recorded decision to skip a stage's
// soak or change window, with the justification the evidence shows.
type Waiver struct {
	What          string    `json:"what"` // WaiveSoak or WaiveWindow
	Justification string    `json:"justification"`
	By            string    `json:"by"`
	Person        *Person   `json:"person,omitempty"`
	At            time.Time `json:"at"`
}

// What a waiver may skip.
const (
	WaiveSoak   = "soak"
	WaiveWindow = "window"
)

// Waive is the decision that records a waiver (Decision.Waive names what,
// Decision.Reason is the justification).
const Waive DecisionAction = "waive"

// Emergency events.
const (
	EvEmergency = "emergency.requested"
	EvWaived    = "emergency.waived"
)

// EmergencyUsage is the arguments of /patch emergency and its CLI twin.
const EmergencyUsage = "<tenant> <reason…> [--hosts h1,h2]"

// minJustification keeps a waiver's justification from being a shrug.
const minJustification = 10

// EmergencyRequest is /patch emergency or `patchgate cycle emergency`.
type EmergencyRequest struct {
	Tenant    string
	Reason    string
	Hosts     []string
	Requester string
}

// EmergencyCommand parses /patch emergency's words (the same parse for
// the CLI) and requests the change; it returns the reply.
func (e *Engine) EmergencyCommand(ctx context.Context, args []string, requester string) (string, error) {
	req := EmergencyRequest{Requester: requester}
	var words []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--hosts" && i+1 < len(args):
			i++
			req.Hosts = append(req.Hosts, splitHosts(args[i])...)
		case strings.HasPrefix(a, "--hosts="):
			req.Hosts = append(req.Hosts, splitHosts(strings.TrimPrefix(a, "--hosts="))...)
		case a == "--hosts":
			return "", Errorf(CodeInvalid, "--hosts needs a comma-separated list of hosts: emergency %s", EmergencyUsage)
		default:
			words = append(words, a)
		}
	}
	if len(words) < 2 {
		return "", Errorf(CodeInvalid, "emergency needs a tenant and a reason: emergency %s", EmergencyUsage)
	}
	req.Tenant, req.Reason = strings.ToLower(words[0]), strings.Join(words[1:], " ")
	c, err := e.Emergency(ctx, req)
	if err != nil {
		return "", err
	}
	scope := "every host of " + c.Tenant
	if len(req.Hosts) > 0 {
		scope = strings.Join(req.Hosts, ", ")
	}
	return fmt.Sprintf("Requested EMERGENCY change `%s` for %s (%s): %s. Each environment waits for its emergency approvers (production: two people, not you); "+
		"soak and window may be waived only with a recorded justification (`/patch waive %s <stage> soak|window <justification…>`).",
		c.ID, c.Tenant, scope, req.Reason, c.ID), nil
}

func splitHosts(s string) []string {
	var out []string
	for _, h := range strings.Split(s, ",") {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// Emergency opens an emergency change for req.Tenant. Every tier it will
// pass must name emergency approvers; otherwise nobody could approve it and
// it is refused (and audited) at once.
func (e *Engine) Emergency(ctx context.Context, req EmergencyRequest) (*Cycle, error) {
	reason := strings.TrimSpace(req.Reason)
	switch {
	case reason == "":
		return nil, Errorf(CodeInvalid, "an emergency change needs a reason (it goes into the change record and the report)")
	case len(reason) > maxFreezeReason:
		return nil, Errorf(CodeInvalid, "the reason is %d characters; keep it under %d", len(reason), maxFreezeReason)
	}
	if t, ok := e.tenants[req.Tenant]; ok {
		var missing []string
		for _, spec := range e.pipeline {
			if _, has := t.Env(spec.Env); has && len(spec.EmergencyApprovers)+len(spec.EmergencyGroups) == 0 {
				missing = append(missing, spec.Env)
			}
		}
		if len(missing) > 0 {
			err := Errorf(CodeNoEmergencyApprovers, "no emergency approvers are configured for %s (pipeline emergency_approvers); an emergency change there could never be approved",
				strings.Join(missing, ", "))
			e.auditStartRefusal(ctx, t.Name, e.person(ctx, req.Requester), err)
			return nil, err
		}
	}
	return e.start(ctx, req.Tenant, req.Requester, &Emergency{Reason: reason, Hosts: req.Hosts})
}

// CodeNoEmergencyApprovers refuses an emergency change on a tier that
// names no emergency approvers.
const CodeNoEmergencyApprovers = "no_emergency_approvers"

// markEmergency turns a planned cycle into an emergency change: emergency
// approvers, two people and four eyes in production, an emergency change
// record.
func (c *Cycle) markEmergency(em *Emergency) {
	c.Emergency = em
	for i := range c.Stages {
		s := &c.Stages[i]
		s.Emergency = true
		if s.Production {
			s.MinApprovals, s.FourEyes = max(s.MinApprovals, 2), true
		}
	}
	if c.Change != nil {
		c.Change.Kind = ChangeEmergency
	}
}

// Waived reports whether what was waived on the stage.
func (s *Stage) Waived(what string) bool {
	return slices.ContainsFunc(s.Waivers, func(w Waiver) bool { return w.What == what })
}

// checkWaiver refuses a waiver the cycle or stage does not allow.
func checkWaiver(n *Cycle, s *Stage, d Decision) error {
	switch {
	case n.Emergency == nil:
		return Errorf(CodeConflict, "Only an emergency change may waive its soak or window; %s is a normal cycle.", n.ID)
	case d.Waive != WaiveSoak && d.Waive != WaiveWindow:
		return Errorf(CodeInvalid, "A waiver is of soak or window, not %q.", d.Waive)
	case len(strings.TrimSpace(d.Reason)) < minJustification:
		return Errorf(CodeInvalid, "A waiver needs a justification of at least %d characters; it is recorded in the audit log, the change record and the report.", minJustification)
	case s.Phase == PhaseDone || s.Phase == PhaseFailed:
		return Errorf(CodeConflict, "%s is %s; there is nothing left to waive.", s.Name, s.Phase)
	case s.Waived(d.Waive):
		return Errorf(CodeConflict, "The %s of %s is already waived.", d.Waive, s.Name)
	case d.Waive == WaiveSoak && s.Soak <= 0:
		return Errorf(CodeConflict, "%s has no soak to waive.", s.Name)
	case d.Waive == WaiveWindow && s.Window == "":
		return Errorf(CodeConflict, "%s has no change window to waive.", s.Name)
	}
	return nil
}

// waive records the waiver on stage s.
func (n *Cycle) waive(s *Stage, d Decision, who Person, now time.Time) string {
	just := strings.TrimSpace(d.Reason)
	s.Waivers = append(s.Waivers, Waiver{What: d.Waive, Justification: just, By: d.Actor, Person: &who, At: now})
	n.emitBy(now, s.Name, EvWaived, who, fmt.Sprintf("waived the %s of %s: %s", d.Waive, s.Name, just),
		map[string]string{"waived": d.Waive, "justification": just})
	return fmt.Sprintf("Waived the %s of %s; the justification is recorded.", d.Waive, s.Name)
}

// emergencyScope keeps the hosts an emergency change names (all when it
// names none) and reports the names it did not find.
func emergencyScope(c *Cycle, hosts []Host) ([]Host, []string) {
	if c.Emergency == nil || len(c.Emergency.Hosts) == 0 {
		return hosts, nil
	}
	found := map[string]bool{}
	var out []Host
	for _, h := range hosts {
		for _, want := range c.Emergency.Hosts {
			if h.ID == want || h.Name == want {
				found[want] = true
				out = append(out, h)
				break
			}
		}
	}
	var missing []string
	for _, want := range c.Emergency.Hosts {
		if !found[want] {
			missing = append(missing, want)
		}
	}
	return out, missing
}

// skipEmpty closes, before they open, the environment stages of an
// emergency change that has none of its named hosts there.
func (c *Cycle) skipEmpty(byEnv map[string]int, now time.Time) {
	if c.Emergency == nil || len(c.Emergency.Hosts) == 0 {
		return
	}
	for j := range c.Stages {
		s := &c.Stages[j]
		if s.Kind != KindEnvironment || s.Phase != PhasePending || byEnv[s.Env] > 0 {
			continue
		}
		s.Phase, s.Done = PhaseDone, now
		c.emit(now, s.Name, EvStageSkipped, ActorSystem, "the emergency change names no host in "+s.Env, nil)
	}
}

// EvStageSkipped: an emergency change has no host in the stage.
const EvStageSkipped = "stage.skipped"

// waiverText lists the cycle's waivers for a change record, "" without any.
func waiverText(n *Cycle) string {
	var b strings.Builder
	for _, s := range n.Stages {
		for _, w := range s.Waivers {
			fmt.Fprintf(&b, " Waived the %s of %s (by %s, %s): %s.", w.What, s.Name, w.By, w.At.UTC().Format("2006-01-02 15:04 UTC"), w.Justification)
		}
	}
	return b.String()
}
