package reports

import (
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// rollbacks is the rollback section: for each rollback to this cycle's
// pre-patch backups, who asked and why, who approved, which backup each
// host was restored from and how, and the checks after the restore with
// their sources.
func (r *renderer) rollbacks() {
	rbs := r.b.Rollbacks
	if len(rbs) == 0 {
		return
	}
	r.pdf.AddPage()
	r.heading("Rollbacks to the pre-patch backups")
	for _, rb := range rbs {
		r.pdf.SetFont(fontFamily, "B", 9)
		r.pdf.CellFormat(0, 6, fmt.Sprintf("Rollback %s — %s, %s", rb.ID, rb.Env, rb.Status), "", 1, "L", false, 0, "")
		r.pdf.SetFont(fontFamily, "", 8)
		r.line(fmt.Sprintf("Requested by %s at %s: %s", rollbackPerson(rb.RequestedBy, rb.Requester), ts(rb.Created), orNone(rb.Reason)))
		var by []string
		for _, a := range rb.Approvals {
			by = append(by, rollbackPerson(a.Person, a.By)+" at "+ts(a.At))
		}
		rule := fmt.Sprintf("%d approval(s) required", rb.MinApprovals)
		if rb.FourEyes {
			rule += ", not the requester (four eyes)"
		}
		r.line(fmt.Sprintf("Approved by %s (%s).", orNone(strings.Join(by, "; ")), rule))
		t := r.newTable([]column{{"Host", 45}, {"Cloud", 14}, {"Backup", 50}, {"Kind", 22}, {"Taken", 32}, {"By cycle", 50}, {"Restore", 64}})
		t.header()
		for _, h := range rb.Hosts {
			t.row(h.Host.Name, string(h.Host.Cloud), h.Backup.ID, h.Backup.Kind, ts(h.Backup.TakenAt), h.Backup.Cycle, restoreResult(h))
		}
		r.closeTable()
		for _, g := range rb.Gates {
			verdict := "passed"
			if !g.Passed {
				verdict = "FAILED"
			}
			r.line(fmt.Sprintf("After the restore, %s check %s at %s: %s%s", g.Name, verdict, ts(g.At), g.Summary, sourceNote(g.Sources)))
		}
		if f := rb.Failure; f != nil {
			r.line(fmt.Sprintf("Failed at %s: %s", ts(f.At), f.Reason))
		}
		r.pdf.Ln(3)
	}
}

// restoreResult says how a host's restore ended, naming its last step.
func restoreResult(h runbooks.RollbackHost) string {
	op := h.Restore
	switch {
	case op.Done && op.ConfirmedBy != nil:
		return "restored by hand (MOP), confirmed by " + op.ConfirmedBy.Label()
	case op.Done:
		return "restored at " + ts(op.At) + " (" + op.Step + sourceNote([]string{op.Source}) + ")"
	case op.Failed != "":
		return "FAILED at " + op.Step + ": " + op.Failed
	case len(op.Manual) > 0:
		return "manual procedure pending"
	case op.Step != "":
		return "in progress: " + op.Step
	}
	return "not started"
}

func rollbackPerson(p *runbooks.Person, id string) string { return personOf(p, id).Label() }

func orNone(s string) string {
	if s == "" {
		return "none given"
	}
	return s
}

// rollbackA12 adds, to A1.2 (recovery from backups), each host restored
// from its pre-patch backup, and each restore that failed or is pending.
func rollbackA12(b *Bundle, ev, ex []string) ([]string, []string) {
	for _, rb := range b.Rollbacks {
		for _, h := range rb.Hosts {
			line := fmt.Sprintf("rollback %s: %s restored from %s %s taken %s: %s", rb.ID, h.Host.Name, h.Backup.Kind, h.Backup.ID, ts(h.Backup.TakenAt), restoreResult(h))
			if h.Restore.Failed != "" {
				ex = append(ex, line)
			} else {
				ev = append(ev, line)
			}
		}
	}
	return ev, ex
}

// rollbackCC745 adds, to CC7.4/CC7.5 (incident response and recovery),
// each rollback as the response to a failed change: requested, approved,
// verified; one not completed is an exception.
func rollbackCC745(b *Bundle, ev, ex []string) ([]string, []string) {
	for _, rb := range b.Rollbacks {
		checks := make([]string, 0, len(rb.Gates))
		for _, g := range rb.Gates {
			mark := "passed"
			if !g.Passed {
				mark = "failed"
			}
			checks = append(checks, g.Name+" "+mark)
		}
		line := fmt.Sprintf("rollback %s of %d host(s) in %s requested by %s, %d approval(s), %s; checks after the restore: %s",
			rb.ID, len(rb.Hosts), rb.Env, rollbackPerson(rb.RequestedBy, rb.Requester), len(rb.Approvals), rb.Status, orNone(strings.Join(checks, ", ")))
		switch rb.Status {
		case runbooks.RollbackCompleted:
			ev = append(ev, line)
		case runbooks.RollbackRejected:
			ev = append(ev, line+" (rejected by a person)")
		default:
			ex = append(ex, line+" (not completed when the report was made)")
		}
		if rb.Incident.Triggered && !rb.Incident.Resolved {
			ex = append(ex, fmt.Sprintf("rollback %s: incident %s not resolved", rb.ID, rb.Incident.Key))
		}
	}
	return ev, ex
}
