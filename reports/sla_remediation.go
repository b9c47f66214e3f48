package reports

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// RemediationOutcome is one event-driven remediation as its audit stream
// (audit/remediation/<id>) tells it.
type RemediationOutcome struct {
	ID, Tenant string
	// Instances are those Config reported NON_COMPLIANT, in order.
	Instances []string
	// Since is the earliest NON_COMPLIANT Config recorded among them (the
	// events' time); Compliant is when the remediation confirmed every one
	// COMPLIANT (remediation.resolved), zero otherwise.
	Since, Compliant time.Time
	// Approved are who approved, in order ("auto: <detail>" for a tier's
	// auto-approval); Dismissed who dismissed it and Reason why.
	Approved          []string
	Dismissed, Reason string
	// Outcome is the last decisive event: resolved, not_compliant,
	// unverified, dismissed, failed, or open.
	Outcome string
	Last    time.Time
}

// remediationOutcome names each decisive event's outcome.
var remediationOutcome = map[string]string{
	runbooks.EvRemediationResolved:  "resolved",
	runbooks.EvRemediationNotComp:   "not_compliant",
	runbooks.EvRemediationUnverify:  "unverified",
	runbooks.EvRemediationDismissed: "dismissed",
	runbooks.EvRemediationFailed:    "failed",
	runbooks.EvRemediationRetry:     "open",
}

// readRemediationOutcomes keeps every remediation with an event in the
// month, in the order of its first event.
func readRemediationOutcomes(ctx context.Context, st state.Store, o *Outcomes, _, _ *[]runbooks.Event) error {
	err := streamEntries(ctx, st, "audit/remediation/", func(stream string, es []state.Entry) error {
		evs, err := decodeEvents(stream, es)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(evs, func(ev runbooks.Event) bool { return o.in(ev.At) }) {
			return nil
		}
		o.Remediations = append(o.Remediations, remediationOf(evs))
		return nil
	})
	slices.SortStableFunc(o.Remediations, func(a, b RemediationOutcome) int { return a.Last.Compare(b.Last) })
	return err
}

func remediationOf(evs []runbooks.Event) RemediationOutcome {
	r := RemediationOutcome{Outcome: "open"}
	for _, ev := range evs {
		r.ID, r.Tenant, r.Last = ev.Cycle, ev.Tenant, ev.At
		if o, ok := remediationOutcome[ev.Type]; ok {
			r.Outcome = o
		}
		switch ev.Type {
		case runbooks.EvRemediationEvent:
			if ev.Data["compliance"] != runbooks.NonCompliant {
				continue
			}
			if !slices.Contains(r.Instances, ev.Stage) {
				r.Instances = append(r.Instances, ev.Stage)
			}
			if at, err := time.Parse(time.RFC3339, ev.Data["at"]); err == nil && (r.Since.IsZero() || at.Before(r.Since)) {
				r.Since = at
			}
		case runbooks.EvRemediationGathered:
			// Many instances: the event names a few and counts the rest
			// (the blob its digest names holds them all).
			for _, id := range strings.Split(ev.Data["sample"], ",") {
				if id != "" && !slices.Contains(r.Instances, id) {
					r.Instances = append(r.Instances, id)
				}
			}
			if n, err := strconv.Atoi(ev.Data["instances"]); err == nil && n > len(r.Instances) {
				r.Instances = append(r.Instances, fmt.Sprintf("… +%d", n-len(r.Instances)))
			}
			if at, err := time.Parse(time.RFC3339, ev.Data["at"]); err == nil && (r.Since.IsZero() || at.Before(r.Since)) {
				r.Since = at
			}
		case runbooks.EvApproved:
			r.Approved = append(r.Approved, deciderOf(ev))
		case runbooks.EvRemediationAuto:
			r.Approved = append(r.Approved, "auto: "+ev.Detail)
		case runbooks.EvRemediationDismissed:
			r.Dismissed, r.Reason = deciderOf(ev), ev.Data["reason"]
		case runbooks.EvRemediationResolved:
			r.Compliant = ev.At
		}
	}
	return r
}

// deciderOf names who caused ev as the directory knew them then.
func deciderOf(ev runbooks.Event) string {
	if p := personOf(ev.Person, ev.Actor); p.Name != "" {
		return p.Name + " (" + p.ID + ")"
	}
	return ev.Actor
}

// remediationSection lists the tenant's remediations of the month: the
// instances, how long from the first NON_COMPLIANT to the confirmed
// COMPLIANT, who approved or dismissed, and the outcome.
func remediationSection(d *postureDoc) error {
	d.head("Event-driven remediations (AWS Config)")
	o := d.r.Outcomes
	if o == nil {
		d.text(9, "Not gathered: remediations are read from the audit log (patchgate report posture --month "+d.r.Month.Month.Format("2006-01")+").")
		return nil
	}
	rows := [][]string{{"remediation", "instances", "non-compliant → COMPLIANT", "approved / dismissed by", "outcome"}}
	for _, r := range o.Remediations {
		if r.Tenant != d.r.Month.Tenant {
			continue
		}
		rows = append(rows, []string{r.ID, clip(strings.Join(r.Instances, ", "), 60), remediationSpan(r), clip(remediationDeciders(r), 70), r.Outcome})
	}
	if len(rows) == 1 {
		d.text(9, "No remediation in "+o.From.Format("January 2006")+": AWS Config reported no instance of "+d.r.Month.Tenant+" NON_COMPLIANT that reached patchgate.")
		return nil
	}
	grid(d.pdf, rows, []float64{52, 70, 55, 70, 22})
	d.text(7, "Read from audit/remediation/<id>: instances and the first NON_COMPLIANT time from remediation.event (data.at, Config's time); COMPLIANT from remediation.resolved; approval.granted, remediation.auto_approved, remediation.dismissed (data.reason); outcome is the last of remediation.resolved | not_compliant | unverified | dismissed | failed.")
	return nil
}

func remediationSpan(r RemediationOutcome) string {
	switch {
	case r.Since.IsZero():
		return "—"
	case r.Compliant.IsZero():
		return "since " + r.Since.UTC().Format("2006-01-02 15:04Z") + ", not confirmed"
	}
	return durText(r.Compliant.Sub(r.Since), true)
}

func remediationDeciders(r RemediationOutcome) string {
	if r.Dismissed != "" {
		return fmt.Sprintf("dismissed by %s: %s", r.Dismissed, r.Reason)
	}
	if len(r.Approved) == 0 {
		return "no decision"
	}
	return strings.Join(r.Approved, ", ")
}
