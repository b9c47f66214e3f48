package runbooks

import (
	"fmt"
	"strings"
	"time"
)

// changeSpec fills a change record from the cycle: what it patches, why,
// its risk, how it is carried out and tested, and how it is backed out (the
// pre-patch backups every environment stage takes).
func (e *Engine) changeSpec(n *Cycle, now time.Time) ChangeSpec {
	t := e.tenants[n.Tenant]
	name := orDefault(t.Display, n.Tenant)
	var envs, gates []string
	prod := false
	for _, s := range n.Stages {
		if s.Kind != KindEnvironment {
			continue
		}
		envs = append(envs, s.Name)
		prod = prod || s.Production
		var g []string
		if s.HealthGate {
			g = append(g, "health (open problems)")
		}
		if s.SensorGate {
			g = append(g, "EDR sensor/kernel compatibility")
		}
		if s.Soak > 0 {
			g = append(g, "soak "+ForPeople(s.Soak))
		}
		g = append(g, "post-patch verification")
		gates = append(gates, fmt.Sprintf("%s: %s", s.Name, strings.Join(g, ", ")))
	}
	start, end := plannedSpan(n, now)
	risk := "Moderate: OS patches with reboots on the hosts of " + strings.Join(envs, ", ") +
		"; each environment is gated (approvals, health, sensor) and halts and pages on the first failure."
	if prod {
		risk += " Production hosts are in scope: customers may see the reboots inside the change window."
	}
	short := fmt.Sprintf("patchgate OS patch cycle %s for %s", n.ID, name)
	desc := fmt.Sprintf("Compliance-driven OS patch cycle %s for tenant %s, requested by %s. Stages: %s.",
		n.ID, name, requesterName(n), stageNames(n))
	just := "Security patches close known vulnerabilities on the tenant's hosts (PCI DSS 6.3.3, SOC 2 CC7.1); " +
		"the regular cycle keeps the fleet inside its patch SLA."
	if em := n.Emergency; em != nil {
		short = "EMERGENCY " + short
		desc = "EMERGENCY change (out of cycle). " + desc
		if len(em.Hosts) > 0 {
			desc += " Hosts: " + strings.Join(em.Hosts, ", ") + "."
		}
		just = "Emergency change: " + em.Reason + waiverText(n)
	}
	return ChangeSpec{
		CycleID: n.ID, Tenant: n.Tenant, Kind: n.Change.Kind,
		ShortDescription: short,
		Description:      desc,
		Justification:    just,
		RiskImpact:       risk,
		Implementation: "patchgate runs the stages in order: preflight inventory, then per environment (" +
			strings.Join(envs, " → ") + ") approvals in Slack, gates, pre-patch backups, patch install, verification; " +
			"then the compliance report. Every step is audited in the cycle's hash-chained log.",
		TestPlan: "Each environment is verified after patching (missing patches, failed installs, sensor online) before the next " +
			"opens: " + strings.Join(gates, "; ") + ".",
		BackoutPlan: "Before patching, each environment stage takes backups of every host in scope (machine images, " +
			"disk and database snapshots); backing out restores the affected hosts from those backups. " +
			"The backups made are listed in the cycle's report.",
		PlannedStart: start, PlannedEnd: end,
	}
}

// plannedSpan is the change's planned start and end: the environment
// stages in order from now, each taking its expected working time plus its
// soak, and a stage with a change window planned into the window's next
// occurrence that leaves it min_remaining (the whole occurrence: that is
// the time the CAB grants). The start is the first stage's.
func plannedSpan(n *Cycle, now time.Time) (time.Time, time.Time) {
	at := now
	if !n.Created.IsZero() && n.Created.After(now.Add(-time.Hour)) {
		at = n.Created
	}
	var start time.Time
	for i := range n.Stages {
		s := &n.Stages[i]
		if s.Kind != KindEnvironment {
			continue
		}
		from, to := s.plannedRun(at)
		if start.IsZero() {
			start = from
		}
		at = to.Add(s.Soak)
	}
	if start.IsZero() {
		start = at
	}
	return start.UTC(), at.UTC()
}

// plannedRun is when stage s is planned to run if it may begin at at.
func (s *Stage) plannedRun(at time.Time) (time.Time, time.Time) {
	end := at.Add(plannedStageWork)
	if s.Window == "" || s.Waived(WaiveWindow) {
		return at, end
	}
	w, err := s.window()
	if err != nil {
		return at, end
	}
	span, open := w.Open(at)
	if !open || span.End.Sub(at) < s.MinRemaining {
		span = w.NextOpen(at)
	}
	if span.IsZero() {
		return at, end
	}
	return maxTime(at, span.Start), span.End
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// plannedStageWork is the working time planned per environment stage
// (approvals, gates, backups, patching, verification).
const plannedStageWork = 4 * time.Hour

// changeNote is the work note sent with a state change.
func changeNote(n *Cycle, to ChangeState) string {
	switch to {
	case ChangeImplementing:
		if i := n.Current(); i >= 0 {
			return fmt.Sprintf("patchgate: stage %s of cycle %s is running.", n.Stages[i].Name, n.ID)
		}
	case ChangeReviewing:
		return fmt.Sprintf("patchgate: every environment of cycle %s is done; the compliance report is being made.", n.ID)
	}
	return fmt.Sprintf("patchgate: cycle %s requests approval of this change.", n.ID)
}

// changeOutcome is how the cycle's record is closed: the result, what was
// backed up and patched, and the evidence links (the report's files).
func changeOutcome(n *Cycle) ChangeOutcome {
	code := CloseSuccessful
	switch {
	case n.Status == StatusRejected || n.Status == StatusExpired:
		code = CloseCanceled
	case n.Change != nil && !n.Change.Approved:
		// A record the platform never approved cannot be closed as
		// implemented; it is canceled, and the notes say what ran.
		code = CloseCanceled
	case n.Status != StatusCompleted:
		code = CloseUnsuccessful
	}
	var b strings.Builder
	fmt.Fprintf(&b, "patchgate cycle %s ended %s.", n.ID, n.Status)
	if n.Change != nil && !n.Change.Approved && n.Status == StatusCompleted {
		b.WriteString(" The change was not approved in the change platform before the cycle ended.")
	}
	for _, s := range n.Stages {
		if s.Kind != KindEnvironment {
			continue
		}
		fmt.Fprintf(&b, " %s: %s", s.Name, s.Phase)
		if s.Patch.Total > 0 {
			fmt.Fprintf(&b, ", patched %d/%d", s.Patch.Succeeded, s.Patch.Total)
		}
		if m := s.Backup.Made.Total(); m > 0 {
			fmt.Fprintf(&b, ", %d backups", m)
		}
		b.WriteString(".")
	}
	if n.Halt != nil {
		fmt.Fprintf(&b, " Halted: %s.", n.Halt.Reason)
	}
	out := ChangeOutcome{Code: code}
	if n.Report != nil {
		out.Evidence = append(out.Evidence, n.Report.Location)
		for _, f := range n.Report.Files {
			out.Evidence = append(out.Evidence, orDefault(f.URL, f.Location))
		}
		b.WriteString(" Evidence: " + strings.Join(out.Evidence, ", "))
	}
	out.Notes = b.String()
	return out
}

func requesterName(n *Cycle) string {
	if n.RequestedBy != nil && n.RequestedBy.Name != "" {
		return n.RequestedBy.Name
	}
	return n.Requester
}
