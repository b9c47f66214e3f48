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
	return ChangeSpec{
		CycleID: n.ID, Tenant: n.Tenant, Kind: n.Change.Kind,
		ShortDescription: fmt.Sprintf("patchgate OS patch cycle %s for %s", n.ID, name),
		Description: fmt.Sprintf("Compliance-driven OS patch cycle %s for tenant %s, requested by %s. Stages: %s.",
			n.ID, name, requesterName(n), stageNames(n)),
		Justification: "Security patches close known vulnerabilities on the tenant's hosts (PCI DSS 6.3.3, SOC 2 CC7.1); " +
			"the regular cycle keeps the fleet inside its patch SLA.",
		RiskImpact: risk,
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

// plannedSpan is the change's planned start and end: from now, each
// environment stage's expected working time plus its soak.
func plannedSpan(n *Cycle, now time.Time) (time.Time, time.Time) {
	start := now
	if !n.Created.IsZero() && n.Created.After(now.Add(-time.Hour)) {
		start = n.Created
	}
	end := start
	for _, s := range n.Stages {
		if s.Kind == KindEnvironment {
			end = end.Add(plannedStageWork + s.Soak)
		}
	}
	return start.UTC(), end.UTC()
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
