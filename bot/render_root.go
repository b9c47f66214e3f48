package bot

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/slack-go/slack"
)

// rootView is what the root message shows besides the cycle itself.
type rootView struct {
	Tenant string    // the tenant's display name
	Now    time.Time // for the soak's time left and "updated"
	// Closed says who rejected the cycle and why, when this replica saw the
	// event; the cycle record does not keep it.
	Closed *closeNote
	// Remediation is the remediation a card shows, nil for other runbooks.
	Remediation *runbooks.Remediation
}

type closeNote struct{ By, Stage, Reason string }

// renderRoot renders a cycle's root message: header, facts, the stage line,
// what the current stage waits for or does, and the buttons valid now.
func renderRoot(c *runbooks.Cycle, v rootView) message {
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(clip(rootTitle(c)+" · "+v.Tenant, maxHeaderChars))),
		slack.NewSectionBlock(nil, rootFields(c, v), nil),
		section(stageLine(c, v.Now)),
	}
	if d := rootDetails(c, v); len(d) > 0 {
		blocks = append(blocks, section(strings.Join(d, "\n")))
	}
	blocks = append(blocks, contextLine(fmt.Sprintf("Revision %d · updated %s", c.Revision, utc(v.Now))))
	if a := rootActions(c, v); a != nil {
		blocks = append(blocks, a)
	}
	return message{Text: rootText(c, v), Blocks: slack.Blocks{BlockSet: blocks}}
}

func rootFields(c *runbooks.Cycle, v rootView) []*slack.TextBlockObject {
	tenant := esc(v.Tenant)
	if v.Tenant != c.Tenant {
		tenant += " (`" + esc(c.Tenant) + "`)"
	}
	field := func(name, value string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, clip("*"+name+"*\n"+value, maxFieldChars), false, false)
	}
	fields := []*slack.TextBlockObject{
		field("Tenant", tenant),
		field(idLabel(c), "`"+esc(c.ID)+"`"),
		requestedField(c, v, field),
		field("Status", statusText(c, v)),
		field("Scope", scopeText(c)),
		field("Started", utc(c.Created)),
	}
	if ch := changeField(c); ch != "" {
		fields = append(fields, field("Change", ch))
	}
	return fields
}

// idLabel names a root message's ID field by its runbook's kind.
func idLabel(c *runbooks.Cycle) string {
	if runbooks.IsRemediationID(c.ID) {
		return "Remediation"
	}
	return "Cycle"
}

// requestedField says who asked for the runbook: a remediation is
// reported by AWS Config, not requested by a person.
func requestedField(c *runbooks.Cycle, v rootView, field func(name, value string) *slack.TextBlockObject) *slack.TextBlockObject {
	if v.Remediation != nil {
		return field("Reported by", "AWS Config")
	}
	return field("Requested by", userLink(c.Requester))
}

// rootText is the notification text: whose cycle and where it stands.
func rootText(c *runbooks.Cycle, v rootView) string {
	what := strings.ToLower(rootTitle(c)) + " " + c.ID
	switch c.Status {
	case runbooks.StatusCompleted:
		return fmt.Sprintf("%s: %s completed", v.Tenant, what)
	case runbooks.StatusRejected:
		return fmt.Sprintf("%s: %s rejected", v.Tenant, what)
	case runbooks.StatusExpired:
		return fmt.Sprintf("%s: %s expired: approval not given in time", v.Tenant, what)
	}
	if s := failedStage(c); s != nil && s.Failure != nil {
		return fmt.Sprintf("%s: %s halted, %s failed at %s", v.Tenant, what, s.Name, phaseName(s.Failure.Phase))
	}
	if c.Status == runbooks.StatusHalted {
		return fmt.Sprintf("%s: %s halted", v.Tenant, what)
	}
	if s := currentStage(c); s != nil {
		note := fmt.Sprintf("awaiting approval %d/%d", len(s.Approvals), s.MinApprovals)
		if s.Phase != runbooks.PhaseApproval {
			note = workingNote(s, v.Now)
		}
		return fmt.Sprintf("%s: %s, %s %s", v.Tenant, what, s.Name, note)
	}
	return fmt.Sprintf("%s: %s", v.Tenant, what)
}

func statusText(c *runbooks.Cycle, v rootView) string {
	switch c.Status {
	case runbooks.StatusCompleted:
		return "✅ Completed"
	case runbooks.StatusRejected:
		if v.Closed != nil && v.Closed.By != "" {
			return "⛔ Rejected by " + userLink(v.Closed.By)
		}
		return "⛔ Rejected"
	case runbooks.StatusExpired:
		return "⌛ Expired: approval not given in time, nothing more patched"
	case runbooks.StatusHalted:
		if s := failedStage(c); s != nil {
			return "❌ Halted: *" + esc(s.Name) + "* failed"
		}
		if c.Halt != nil {
			return "⏸ Halted by " + userLink(c.Halt.By)
		}
		return "⏸ Halted"
	}
	if s := currentStage(c); s != nil && s.Phase == runbooks.PhaseApproval {
		return "🗳 Awaiting approval"
	}
	return "⏳ Running"
}

// scopeText: "40 hosts: aws 16 · azure 12 · gcp 12, 3 unmanaged, 3 excluded".
func scopeText(c *runbooks.Cycle) string {
	sc := c.Scope
	if sc.Hosts == 0 {
		if len(c.Stages) > 0 && c.Stages[0].Phase != runbooks.PhaseDone && c.Stages[0].Failure == nil {
			return "counted by preflight"
		}
		return "no hosts"
	}
	clouds := make([]string, 0, len(sc.ByCloud))
	for cl := range sc.ByCloud {
		clouds = append(clouds, string(cl))
	}
	slices.Sort(clouds)
	parts := make([]string, len(clouds))
	for i, cl := range clouds {
		parts[i] = fmt.Sprintf("%s %s", esc(cl), num(sc.ByCloud[runbooks.Cloud(cl)]))
	}
	s := nHosts(sc.Hosts)
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, " · ")
	}
	if sc.Unmanaged > 0 {
		s += fmt.Sprintf(", %s unmanaged", num(sc.Unmanaged))
	}
	if sc.Excluded > 0 {
		s += fmt.Sprintf(", %s excluded", num(sc.Excluded))
	}
	return s
}

// stageLine: "✅ preflight → ⏳ *nonprod* — awaiting approval 0/1 → ⬜ staging".
func stageLine(c *runbooks.Cycle, now time.Time) string {
	cur := c.Current()
	parts := make([]string, len(c.Stages))
	for i := range c.Stages {
		icon, note := stageState(c, i, now)
		name := esc(c.Stages[i].Name)
		if i == cur {
			name = "*" + name + "*"
		}
		parts[i] = icon + " " + name
		if note != "" {
			parts[i] += " — " + note
		}
	}
	return strings.Join(parts, " → ")
}

// stageState is a stage's icon and, for the stage in hand, what it does.
func stageState(c *runbooks.Cycle, i int, now time.Time) (icon, note string) {
	s := &c.Stages[i]
	switch s.Phase {
	case runbooks.PhaseDone:
		return "✅", ""
	case runbooks.PhasePending:
		if i == c.Current() && c.Status == runbooks.StatusRunning {
			return "⏳", "starting"
		}
		return "⬜", ""
	case runbooks.PhaseFailed:
		at := "?"
		if s.Failure != nil {
			at = phaseName(s.Failure.Phase)
		}
		if c.Status == runbooks.StatusRejected {
			return "⛔", "rejected after failing at " + at
		}
		return "❌", "failed at " + at
	case runbooks.PhaseApproval:
		note = fmt.Sprintf("awaiting approval %d/%d", len(s.Approvals), s.MinApprovals)
		switch c.Status {
		case runbooks.StatusRejected:
			return "⛔", "rejected"
		case runbooks.StatusExpired:
			return "⌛", "approval expired " + note
		case runbooks.StatusHalted:
			return "⏸", "halted, " + note
		}
		return "⏳", note
	}
	note = workingNote(s, now)
	switch c.Status {
	case runbooks.StatusHalted:
		return "⏸", "halted while " + note
	case runbooks.StatusRejected:
		return "⛔", "rejected while " + note
	}
	return "⏳", note
}

// workingNote says what a stage in a working phase is doing.
func workingNote(s *runbooks.Stage, now time.Time) string {
	if w := windowNote(s, now); w != "" {
		return w
	}
	switch s.Phase {
	case runbooks.PhaseInventory:
		return "checking inventory"
	case runbooks.PhaseHealth:
		return "checking health"
	case runbooks.PhaseSensors:
		return "checking sensors against the new kernel"
	case runbooks.PhaseBackup:
		if !s.Backup.Sent() {
			return "starting backups"
		}
		return fmt.Sprintf("backing up %s/%s", num(s.Backup.Succeeded+s.Backup.Failed), num(s.Backup.Total))
	case runbooks.PhasePatch:
		if !s.Patch.Sent() {
			return "starting to patch"
		}
		return fmt.Sprintf("patching %s/%s", num(s.Patch.Succeeded+s.Patch.Failed), num(s.Patch.Total))
	case runbooks.PhaseVerify:
		return "verifying patches"
	case runbooks.PhaseSoak:
		return "soaking, " + left(now, s.SoakUntil)
	case runbooks.PhaseReport:
		return "writing the report"
	}
	return esc(string(s.Phase))
}

// phaseName names a phase in a sentence.
func phaseName(p runbooks.Phase) string {
	if p == runbooks.PhaseApproval {
		return "approval"
	}
	return string(p)
}

// rootDetails are the lines under the stage line: approvals, progress,
// soak, failure, halt, the end.
func rootDetails(c *runbooks.Cycle, v rootView) []string {
	var lines []string
	if v.Remediation != nil {
		lines = append(lines, remediationLines(v.Remediation, v.Now)...)
	}
	if n := frozenNote(c); n != "" {
		lines = append(lines, n)
	}
	if s := currentStage(c); s != nil && !c.Status.Terminal() {
		lines = append(lines, approvalLines(c, s)...)
		if l := progressLine(s); l != "" {
			lines = append(lines, l)
		}
		if s.Phase == runbooks.PhaseSoak {
			lines = append(lines, fmt.Sprintf("⏳ *%s* soaking — %s (until %s)", esc(s.Name), left(v.Now, s.SoakUntil), utc(s.SoakUntil)))
		}
		if s.Errors > 0 && s.LastError != "" && s.Phase != runbooks.PhaseFailed {
			what := "Retrying after"
			if c.Status == runbooks.StatusHalted {
				what = "Halted after"
			}
			lines = append(lines, fmt.Sprintf("⚠️ %s %d provider error(s) in a row: %s", what, s.Errors, esc(clip(s.LastError, 200))))
		}
	}
	lines = append(lines, changeLines(c)...)
	if s := failedStage(c); s != nil && s.Failure != nil {
		l := fmt.Sprintf("❌ *%s* failed at *%s*: %s", esc(s.Name), phaseName(s.Failure.Phase), esc(clip(s.Failure.Reason, 500)))
		if n := len(s.Failure.Findings); n > 0 {
			l += fmt.Sprintf(". %s listed in the thread.", nHosts(n))
		}
		if s.Incident.Triggered && !s.Incident.Resolved && c.Status != runbooks.StatusRejected {
			l += " On-call paged."
		}
		lines = append(lines, l)
		if s.Incident.LastError != "" && !s.Incident.Triggered {
			lines = append(lines, "🚨 Paging failed, nobody was paged: "+esc(clip(s.Incident.LastError, 300)))
		}
	}
	switch c.Status {
	case runbooks.StatusHalted:
		if c.Halt != nil && c.Halt.By != runbooks.ActorSystem {
			lines = append(lines, fmt.Sprintf("⏸ Halted by %s at %s: %s", userLink(c.Halt.By), utc(c.Halt.At), esc(clip(c.Halt.Reason, 500))))
		}
	case runbooks.StatusRejected:
		lines = append(lines, rejectedLine(c, v))
	case runbooks.StatusCompleted:
		l := "✅ All stages done"
		if !c.Ended.IsZero() {
			l += " at " + utc(c.Ended)
		}
		l += "."
		if c.Report != nil && c.Report.Location != "" {
			l += " Report: `" + esc(c.Report.Location) + "`"
		}
		lines = append(lines, l)
	}
	return lines
}

// approvalLines: "🗳 *production* needs 2 approvals…" or "Approved by <@U1> (1/2)".
func approvalLines(c *runbooks.Cycle, s *runbooks.Stage) []string {
	if s.Kind != runbooks.KindEnvironment || (s.Phase != runbooks.PhaseApproval && len(s.Approvals) == 0) {
		return nil
	}
	fourEyes := ""
	if s.FourEyes {
		fourEyes = " The requester may not approve it (four eyes)."
		if runbooks.IsRemediationID(c.ID) {
			fourEyes = " Each approval must come from a different person (four eyes)."
		}
	}
	if len(s.Approvals) == 0 {
		word := "approval"
		if s.MinApprovals != 1 {
			word = "approvals"
		}
		return []string{fmt.Sprintf("🗳 *%s* needs %d %s.%s", esc(s.Name), s.MinApprovals, word, fourEyes)}
	}
	who := make([]string, len(s.Approvals))
	for i, a := range s.Approvals {
		who[i] = userLink(a.By)
	}
	l := fmt.Sprintf("Approved by %s (%d/%d)", strings.Join(who, ", "), len(s.Approvals), s.MinApprovals)
	if s.Phase == runbooks.PhaseApproval && c.Status == runbooks.StatusRunning {
		if more := s.MinApprovals - len(s.Approvals); more > 0 {
			l += fmt.Sprintf(" — %d more needed.%s", more, fourEyes)
		}
	}
	return []string{l}
}

// progressLine: "patched 812/1,200 ▓▓▓▓▓▓░░░░ 67%" while an operation runs.
func progressLine(s *runbooks.Stage) string {
	var (
		op   runbooks.Op
		verb string
	)
	switch s.Phase {
	case runbooks.PhaseBackup:
		op, verb = s.Backup, "backed up"
	case runbooks.PhasePatch:
		op, verb = s.Patch, "patched"
	default:
		return ""
	}
	if !op.Sent() || op.Total == 0 {
		return ""
	}
	done := op.Succeeded + op.Failed
	l := fmt.Sprintf("%s %s/%s %s %d%%", verb, num(done), num(op.Total), bar(done, op.Total), percent(done, op.Total))
	if op.Failed > 0 {
		l += fmt.Sprintf(" · %s failed", num(op.Failed))
	}
	return l
}

func rejectedLine(c *runbooks.Cycle, v rootView) string {
	stage := ""
	if v.Closed != nil && v.Closed.Stage != "" {
		stage = v.Closed.Stage
	} else if s := currentStage(c); s != nil {
		stage = s.Name
	}
	l := "⛔ Rejected"
	if v.Closed != nil && v.Closed.By != "" {
		l += " by " + userLink(v.Closed.By)
	}
	if stage != "" {
		l += " at *" + esc(stage) + "*"
	}
	if v.Closed != nil && v.Closed.Reason != "" {
		return l + ": " + esc(clip(v.Closed.Reason, 500))
	}
	return l + "."
}

// currentStage is the first stage not done, or nil.
func currentStage(c *runbooks.Cycle) *runbooks.Stage {
	if i := c.Current(); i >= 0 {
		return &c.Stages[i]
	}
	return nil
}

// failedStage is the stage that failed, or nil.
func failedStage(c *runbooks.Cycle) *runbooks.Stage {
	for i := range c.Stages {
		if c.Stages[i].Phase == runbooks.PhaseFailed {
			return &c.Stages[i]
		}
	}
	return nil
}
