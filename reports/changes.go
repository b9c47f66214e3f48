package reports

import (
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// The cycle's change record (ServiceNow, Jira) as evidence: its number and
// the states it went through for CC8.1, and for PCI DSS 6.5.1 the record
// holding reason, impact, approval, testing and the back-out procedure,
// which is the pre-patch backups each stage took.

// changeEvidence is the CC8.1 lines of the change record: where it is and
// the states it reached, or why there is none.
func changeEvidence(c *runbooks.Cycle) []string {
	r := c.Change
	if r == nil {
		return nil
	}
	if r.Number == "" {
		return []string{"change record: not created in " + runbooks.PlatformName(r.Platform) + changeFailure(r)}
	}
	line := fmt.Sprintf("change record %s (%s change, source %s)", r.Label(), r.Kind, r.Platform)
	if r.URL != "" {
		line += " " + r.URL
	}
	out := []string{line}
	if len(r.States) > 0 {
		out = append(out, "change states: "+strings.Join(r.States, " → "))
	}
	approval := fmt.Sprintf("change approval in %s: %s", runbooks.PlatformName(r.Platform), orNotRead(r.Approval))
	return append(out, approval)
}

func changeFailure(r *runbooks.ChangeRef) string {
	if r.LastError == "" {
		return ""
	}
	return fmt.Sprintf(" (%d failed attempt(s): %s)", r.Errors, r.LastError)
}

func orNotRead(s string) string {
	if s == "" {
		return "not read yet"
	}
	return s
}

// evalPCI651: each change is documented with a change record holding its
// reason, security impact, approval, testing and back-out procedure.
func evalPCI651(b *Bundle) Result {
	c := b.Cycle
	r := c.Change
	if r == nil {
		return Result{Status: StatusNotApplicable, Evidence: []string{"no change platform configured (change_records); the cycle's audit log is its only change record"}}
	}
	ev := changeEvidence(c)
	var ex []string
	switch {
	case r.Number == "":
		ex = append(ex, "no change record was created in "+runbooks.PlatformName(r.Platform)+changeFailure(r))
	case r.Rejected:
		ex = append(ex, r.Label()+" was rejected in "+runbooks.PlatformName(r.Platform))
	}
	ev = append(ev, "reason, risk/impact, implementation and test plans filled from the cycle when the record was created")
	ev = append(ev, emergencyEvidence(c)...)
	var backout []string
	for _, s := range envStages(c) {
		if s.Backup.Sent() || s.Backup.Total > 0 {
			backout = append(backout, s.Name+": "+backupCount(s.Backup))
		}
		if s.RequireChangeApproval && proceeded(s) && !r.Approved {
			ex = append(ex, fmt.Sprintf("%s started before %s was approved", s.Name, r.Label()))
		}
	}
	if len(backout) > 0 {
		ev = append(ev, "back-out plan: restore from the pre-patch backups ("+strings.Join(backout, "; ")+")")
	} else {
		ev = append(ev, "back-out plan: restore from the pre-patch backups (none taken yet)")
	}
	return verdict(ev, ex)
}
