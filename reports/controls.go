package reports

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// MappingVersion versions the Controls table; it is printed in every report
// so an auditor knows which rules a report was judged by.
const MappingVersion = "2026-11"

// ResultStatus is a criterion's verdict for one cycle.
type ResultStatus string

const (
	StatusPass          ResultStatus = "pass"
	StatusException     ResultStatus = "exception"
	StatusNotApplicable ResultStatus = "not-applicable"
)

// maxListed caps per-host lines in a result; the host table has every host.
const maxListed = 200

// Result is a criterion's verdict with the evidence behind it.
type Result struct {
	Status     ResultStatus
	Evidence   []string
	Exceptions []string
}

// Control is one criterion of a framework and the rule that judges it.
type Control struct {
	ID        string
	Framework string
	Title     string
	Evaluate  func(*Bundle) Result
}

// Chain is the audit chain as the store holds it.
type Chain struct {
	Entries int64
	Head    string // hash of the last entry
	// KeyID and Fingerprint name the key that signed the checkpoint of
	// Head; both empty when the chain is not signed.
	KeyID       string
	Fingerprint string
}

// Bundle is everything a report is made from.
type Bundle struct {
	Cycle  *runbooks.Cycle
	Events []runbooks.Event
	Hosts  []runbooks.Host // inventory as last seen (at report time)
	// HostsBefore is preflight's inventory, when known; its sources count
	// toward the report's.
	HostsBefore []runbooks.Host
	Refusals    []runbooks.Event
	Now         time.Time // when the report is made
	Chain       Chain
	// EvidenceSHA256 is the hash of the cycle's evidence JSON, printed on
	// the cover (a PDF cannot contain its own hash).
	EvidenceSHA256 string
	// DataFiles are the bundle's other files (evidence JSON, CSVs) with
	// their hashes, printed on the cover.
	DataFiles []FileSum
	// KernelBefore maps host ID to the kernel seen at preflight, when known.
	KernelBefore map[string]string
	// Access is who could reach the tenant's accounts when the report was
	// made; nil with AccessError set when it could not be read.
	Access      *runbooks.AccessReport
	AccessError string
	// Rollbacks to this cycle's pre-patch backups (reports/rollback.go).
	Rollbacks []*runbooks.Rollback
	// Preventions are the tenant's prevention rollouts (prevention.go).
	Preventions []*runbooks.Prevention
	// SLA is the tenant's latest patch SLA posture, when the posture scan
	// runs: PCI DSS 6.3.3 is then measured from release dates (sla.go).
	SLA *SLAPosture

	idx *hostIndex
	evs []Evaluation // Evaluate's result, when the caller already has it
}

// Evaluation pairs a control with its result.
type Evaluation struct {
	Control Control
	Result  Result
}

// Controls is the mapping, version MappingVersion.
var Controls = []Control{
	{ID: "CC7.1", Framework: "SOC 2", Title: "Vulnerabilities and configuration detected", Evaluate: evalCC71},
	{ID: "CC8.1", Framework: "SOC 2", Title: "Changes authorised, tested and approved", Evaluate: evalCC81},
	{ID: "CC6.1", Framework: "SOC 2", Title: "Logical access: principals executing each step", Evaluate: evalCC61},
	{ID: "CC7.2", Framework: "SOC 2", Title: "Monitoring: EDR sensor online after patching", Evaluate: evalCC72},
	{ID: "CC7.4/CC7.5", Framework: "SOC 2", Title: "Incidents raised and resolved", Evaluate: evalCC745},
	{ID: "A1.2", Framework: "SOC 2", Title: "Pre-patch backups taken", Evaluate: evalA12},
	{ID: "6.3.3", Framework: "PCI DSS v4.0", Title: "Critical/high patches installed within one month", Evaluate: evalPCI633},
	{ID: "10.2", Framework: "PCI DSS v4.0", Title: "Audit log of actions", Evaluate: evalPCI102},
	{ID: "5.x", Framework: "PCI DSS v4.0", Title: "Anti-malware present and active", Evaluate: evalPCI5},
	{ID: "CC6.8", Framework: "SOC 2", Title: "Malicious software prevented: EDR prevention mode per tier", Evaluate: evalCC68},
	{ID: "5.3", Framework: "PCI DSS v4.0", Title: "Anti-malware mode and policy per host", Evaluate: evalPCI53},
	{ID: "6.5.1", Framework: "PCI DSS v4.0", Title: "Change record: reason, impact, approval, testing, back-out", Evaluate: evalPCI651},
}

// Evaluate judges every control against b.
func Evaluate(b *Bundle) []Evaluation {
	out := make([]Evaluation, len(Controls))
	for i, c := range Controls {
		out[i] = Evaluation{Control: c, Result: c.Evaluate(b)}
	}
	return out
}

// ComplianceRate is passed / applicable criteria (1 when none applies).
func ComplianceRate(evs []Evaluation) (passed, applicable int, rate float64) {
	for _, e := range evs {
		switch e.Result.Status {
		case StatusPass:
			passed++
			applicable++
		case StatusException:
			applicable++
		}
	}
	if applicable == 0 {
		return 0, 0, 1
	}
	return passed, applicable, float64(passed) / float64(applicable)
}

func verdict(evidence, exceptions []string) Result {
	if len(exceptions) > 0 {
		return Result{Status: StatusException, Evidence: evidence, Exceptions: exceptions}
	}
	return Result{Status: StatusPass, Evidence: evidence}
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02 15:04Z") }

func envStages(c *runbooks.Cycle) []*runbooks.Stage {
	var out []*runbooks.Stage
	for i := range c.Stages {
		if c.Stages[i].Kind == runbooks.KindEnvironment {
			out = append(out, &c.Stages[i])
		}
	}
	return out
}

func lastGate(s *runbooks.Stage, name string) *runbooks.Gate {
	for i := len(s.Gates) - 1; i >= 0; i-- {
		if s.Gates[i].Name == name {
			return &s.Gates[i]
		}
	}
	return nil
}

func passedGate(s *runbooks.Stage, name string) *runbooks.Gate {
	for i := len(s.Gates) - 1; i >= 0; i-- {
		if s.Gates[i].Name == name && s.Gates[i].Passed {
			return &s.Gates[i]
		}
	}
	return nil
}

// proceeded reports whether the stage went past its approval phase.
func proceeded(s *runbooks.Stage) bool {
	switch s.Phase {
	case runbooks.PhasePending, runbooks.PhaseApproval:
		return false
	case runbooks.PhaseFailed:
		return s.Failure == nil || s.Failure.Phase != runbooks.PhaseApproval
	}
	return true
}

// patched reports whether the stage sent patches.
func patched(s *runbooks.Stage) bool {
	return !s.Patch.Started.IsZero() || s.Patch.Sent() || lastGate(s, "patch") != nil
}

// ranAt is when the stage began doing work: its first gate, else its start.
func ranAt(s *runbooks.Stage) time.Time {
	if len(s.Gates) > 0 {
		return s.Gates[0].At
	}
	return s.Started
}

func evalCC81(b *Bundle) Result {
	c := b.Cycle
	var ev, ex []string
	var staging *runbooks.Stage
	for _, s := range envStages(c) {
		if s.Staging {
			staging = s
		}
		if !proceeded(s) {
			ev = append(ev, fmt.Sprintf("%s: not started (phase %s)", s.Name, s.Phase))
			continue
		}
		ev = append(ev, approvalEvidence(c, s)...)
		if len(s.Approvals) < s.MinApprovals {
			ex = append(ex, fmt.Sprintf("%s ran with %d of %d required approvals", s.Name, len(s.Approvals), s.MinApprovals))
		}
		if s.MinApprovals == 0 && len(s.Approvals) == 0 {
			ex = append(ex, fmt.Sprintf("%s ran without any approval", s.Name))
		}
		if s.FourEyes && s.ApprovedBy(c.Requester) {
			ex = append(ex, fmt.Sprintf("%s approved by its requester %s despite four-eyes", s.Name, c.Requester))
		}
		if !s.Production {
			continue
		}
		wev, wex := windowEvidence(s)
		ev, ex = append(ev, wev...), append(ex, wex...)
		if g := passedGate(s, "health"); g != nil {
			ev = append(ev, fmt.Sprintf("%s: health gate passed at %s", s.Name, ts(g.At))+sourceNote(g.Sources))
		} else if lastGate(s, "sensors") != nil || lastGate(s, "backup") != nil || patched(s) {
			ex = append(ex, fmt.Sprintf("%s ran without a passed health gate", s.Name))
		}
		if staging == nil {
			continue
		}
		start := ranAt(s)
		switch {
		case staging.Done.IsZero():
			ex = append(ex, fmt.Sprintf("%s ran at %s before %s completed", s.Name, ts(start), staging.Name))
		case staging.Soak > 0 && start.Before(staging.SoakUntil) && !staging.Waived(runbooks.WaiveSoak):
			ex = append(ex, fmt.Sprintf("%s ran at %s before %s's soak ended at %s", s.Name, ts(start), staging.Name, ts(staging.SoakUntil)))
		}
	}
	ev = append(ev, emergencyEvidence(c)...)
	ev = append(ev, changeEvidence(c)...)
	if staging != nil && staging.Soak > 0 && !staging.SoakUntil.IsZero() && !staging.Done.IsZero() {
		observed := staging.Done.Sub(staging.SoakUntil.Add(-staging.Soak))
		ev = append(ev, fmt.Sprintf("soak observed %s (required %s)", runbooks.ForPeople(observed), runbooks.ForPeople(staging.Soak)))
	}
	return verdict(ev, ex)
}

func approvalEvidence(c *runbooks.Cycle, s *runbooks.Stage) []string {
	var out []string
	for _, a := range s.Approvals {
		out = append(out, fmt.Sprintf("%s approved by %s at %s", s.Name, a.By, ts(a.At)))
	}
	line := fmt.Sprintf("%s: %d approval(s) of %d required", s.Name, len(s.Approvals), s.MinApprovals)
	if s.FourEyes && !s.ApprovedBy(c.Requester) {
		line += ", requester excluded"
	}
	return append(out, line)
}

// backupCount names what a backup made by kind when its provider counted
// it, else how many items succeeded.
func backupCount(op runbooks.Op) string {
	if made := op.Made.String(); made != "" {
		return made
	}
	return fmt.Sprintf("%d backup(s) on %d host(s)", op.Succeeded, op.Total)
}

func evalA12(b *Bundle) Result {
	var ev, ex []string
	for _, s := range envStages(b.Cycle) {
		if !patched(s) {
			continue
		}
		if g := passedGate(s, "backup"); g != nil {
			ev = append(ev, fmt.Sprintf("%s: backup gate passed at %s: %s", s.Name, ts(g.At), backupCount(s.Backup))+sourceNote(g.Sources))
		} else {
			ex = append(ex, fmt.Sprintf("%s was patched without a passed backup gate", s.Name))
		}
	}
	ev, ex = rollbackA12(b, ev, ex)
	if len(ev)+len(ex) == 0 {
		return Result{Status: StatusNotApplicable, Evidence: []string{"no stage was patched"}}
	}
	return verdict(ev, ex)
}

func evalCC71(b *Bundle) Result {
	pre, _ := b.Cycle.Stage("preflight")
	var g *runbooks.Gate
	if pre != nil {
		g = lastGate(pre, "inventory")
	}
	if g == nil {
		return Result{Status: StatusException, Exceptions: []string{"no preflight inventory was recorded"}}
	}
	withSensor, measured := 0, sensorMeasured(b.Hosts)
	for _, h := range measured {
		if h.HasSensor {
			withSensor++
		}
	}
	ev := []string{
		fmt.Sprintf("preflight inventory at %s: %s", ts(g.At), g.Summary) + sourceNote(g.Sources),
		fmt.Sprintf("hosts inventoried: %d, unmanaged: %d", len(b.Hosts), len(g.Findings)),
	}
	if len(measured) > 0 {
		ev = append(ev, fmt.Sprintf("EDR coverage: %d/%d hosts (%s)", withSensor, len(measured), pct(withSensor, len(measured)))+
			sourceNote(sensorSourceList(b.Hosts)))
	}
	if n := len(b.Hosts) - len(measured); n > 0 {
		ev = append(ev, fmt.Sprintf("EDR coverage not measured on %d host(s): no EDR source reported them", n))
	}
	for i, f := range g.Findings {
		if i == maxListed {
			ev = append(ev, fmt.Sprintf("… and %d more unmanaged hosts", len(g.Findings)-maxListed))
			break
		}
		ev = append(ev, fmt.Sprintf("unmanaged: %s (%s): %s", f.HostName, f.HostID, f.Reason))
	}
	return Result{Status: StatusPass, Evidence: ev}
}

func pct(n, d int) string {
	if d == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(d))
}

func evalCC61(b *Bundle) Result {
	c := b.Cycle
	seen := map[string]bool{}
	var actors []string
	for _, e := range b.Events {
		if !seen[e.Actor] {
			seen[e.Actor] = true
			actors = append(actors, e.Actor)
		}
	}
	sort.Strings(actors)
	ev := []string{fmt.Sprintf("requested by %s", c.Requester), "principals in the audit log: " + strings.Join(actors, ", ")}
	var ex []string
	for _, s := range envStages(c) {
		for _, a := range s.Approvals {
			ev = append(ev, fmt.Sprintf("%s: approval by %s at %s (message revision %d)", s.Name, a.By, ts(a.At), a.Revision))
		}
		if s.FourEyes && s.ApprovedBy(c.Requester) {
			ex = append(ex, fmt.Sprintf("%s: requester %s approved own change", s.Name, c.Requester))
		}
	}
	for _, r := range b.Refusals {
		ev = append(ev, fmt.Sprintf("refused %s by %s at %s: %s", r.Data["action"], r.Actor, ts(r.At), r.Data["code"]))
	}
	aev, aex := accessEvidence(b)
	return verdict(append(ev, aev...), append(ex, aex...))
}

// accessEvidence judges the access report: it must exist, and every account
// the cycle's hosts live in must name the identity patchgate acted as.
func accessEvidence(b *Bundle) (ev, ex []string) {
	a := b.Access
	if a == nil {
		why := b.AccessError
		if why == "" {
			why = "no access provider configured"
		}
		return nil, []string{"no access report at cycle time: " + why}
	}
	accounts := map[string]bool{}
	sources := map[string]bool{}
	for _, g := range a.Grants {
		accounts[string(g.Cloud)+"/"+g.Account] = true
		sources[g.Source] = true
	}
	ev = append(ev, fmt.Sprintf("access report at %s: %d grants in %d accounts (%s)", ts(a.At), len(a.Grants), len(accounts), strings.Join(sortedKeys(sources), ", ")))
	executor := map[string]string{}
	for _, x := range a.Executors {
		executor[string(x.Cloud)+"/"+x.Account] = x.Principal
		ev = append(ev, fmt.Sprintf("patchgate acted in %s/%s as %s", x.Cloud, x.Account, x.Principal))
	}
	missing := map[string]bool{}
	for i := range b.Hosts {
		k := string(b.Hosts[i].Cloud) + "/" + b.Hosts[i].Account
		if executor[k] == "" {
			missing[k] = true
		}
	}
	for _, k := range sortedKeys(missing) {
		ex = append(ex, fmt.Sprintf("account %s has hosts in scope but no executing principal in the access report", k))
	}
	return ev, ex
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func evalCC72(b *Bundle) Result {
	var ev, ex []string
	for _, s := range envStages(b.Cycle) {
		if !patched(s) {
			continue
		}
		if s.Phase == runbooks.PhaseFailed && s.Failure != nil && s.Failure.Phase == runbooks.PhasePatch {
			ev = append(ev, fmt.Sprintf("%s: patching failed (%s); the sensor check runs after a retry", s.Name, s.Failure.Reason))
			continue
		}
		if g := passedGate(s, "verify"); g != nil {
			ev = append(ev, fmt.Sprintf("%s: post-patch sensor check passed at %s: %s", s.Name, ts(g.At), g.Summary)+sourceNote(g.Sources))
		} else if g := lastGate(s, "verify"); g != nil {
			ex = append(ex, fmt.Sprintf("%s: post-patch sensor check failed: %s", s.Name, g.Summary)+sourceNote(g.Sources))
		} else {
			ex = append(ex, fmt.Sprintf("%s: patched without a post-patch sensor check", s.Name))
		}
	}
	if len(ev)+len(ex) == 0 {
		return Result{Status: StatusNotApplicable, Evidence: []string{"no stage was patched"}}
	}
	return verdict(ev, ex)
}

func evalCC745(b *Bundle) Result {
	var ev, ex []string
	for _, e := range b.Events {
		switch e.Type {
		case runbooks.EvIncidentOpened, runbooks.EvIncidentAcked, runbooks.EvIncidentResolved:
			line := fmt.Sprintf("%s %s at %s (%s)", e.Stage, e.Type, ts(e.At), e.Data["dedup_key"])
			if src := e.Data["source"]; src != "" {
				line += sourceNote([]string{src})
			}
			ev = append(ev, line)
		}
	}
	for i := range b.Cycle.Stages {
		s := &b.Cycle.Stages[i]
		if s.Incident.Triggered && !s.Incident.Resolved {
			ex = append(ex, fmt.Sprintf("%s: incident %s not resolved", s.Name, s.Incident.Key))
		}
	}
	ev, ex = rollbackCC745(b, ev, ex)
	if len(ev)+len(ex) == 0 {
		return Result{Status: StatusNotApplicable, Evidence: []string{"no incident was raised"}}
	}
	return verdict(ev, ex)
}

func evalPCI633(b *Bundle) Result {
	if r, ok := slaPCI633(b); ok {
		return r
	}
	if len(b.Hosts) == 0 {
		return Result{Status: StatusNotApplicable, Evidence: []string{"no hosts in scope"}}
	}
	idx := b.index()
	limit := b.Now.AddDate(0, -1, 0)
	var ex []string
	late, current := 0, 0
	for i := range b.Hosts {
		h := &b.Hosts[i]
		reason, excluded := idx.excluded[h.ID]
		if h.PendingPatches == 0 && !excluded {
			current++
			continue
		}
		if !h.LastPatched.IsZero() && !h.LastPatched.Before(limit) {
			current++
			continue
		}
		late++
		if late <= maxListed {
			last := "never"
			if !h.LastPatched.IsZero() {
				last = ts(h.LastPatched)
			}
			why := fmt.Sprintf("%d patches pending", h.PendingPatches)
			if excluded {
				why = "excluded: " + reason
			}
			ex = append(ex, fmt.Sprintf("%s (%s): %s, last patched %s, over one month", h.Name, h.ID, why, last))
		}
	}
	if late > maxListed {
		ex = append(ex, fmt.Sprintf("… and %d more hosts (see the host table)", late-maxListed))
	}
	ev := []string{fmt.Sprintf("%d/%d hosts current within one month (before %s)", current, len(b.Hosts), ts(limit)) + sourceNote(hostSourceList(b.Hosts))}
	return verdict(ev, ex)
}

func evalPCI102(b *Bundle) Result {
	ev := []string{
		fmt.Sprintf("%d audit events in the cycle log, %d refused decisions", len(b.Events), len(b.Refusals)),
		fmt.Sprintf("audit chain: %d entries, head %s", b.Chain.Entries, b.Chain.Head),
	}
	var ex []string
	if b.Chain.Head == "" || b.Chain.Entries == 0 {
		ex = append(ex, "no audit chain head recorded")
	} else if b.Chain.Entries < int64(len(b.Events)) {
		ex = append(ex, fmt.Sprintf("audit chain holds %d entries but the cycle has %d events", b.Chain.Entries, len(b.Events)))
	}
	return verdict(ev, ex)
}

func evalPCI5(b *Bundle) Result {
	if len(b.Hosts) == 0 {
		return Result{Status: StatusNotApplicable, Evidence: []string{"no hosts in scope"}}
	}
	var ex []string
	measured := sensorMeasured(b.Hosts)
	if n := len(b.Hosts) - len(measured); n > 0 {
		// Not measured is an exception, never a pass and never "no sensor".
		ex = append(ex, fmt.Sprintf("anti-malware sensor not measured on %d/%d hosts: no EDR source reported them", n, len(b.Hosts)))
	}
	ok, bad := 0, 0
	for _, h := range measured {
		if h.HasSensor && !h.SensorRFM {
			ok++
			continue
		}
		bad++
		if bad <= maxListed {
			why := "no EDR sensor"
			if h.HasSensor {
				why = "sensor " + h.SensorVersion + " in reduced-functionality mode"
			}
			ex = append(ex, fmt.Sprintf("%s (%s): %s", h.Name, h.ID, why))
		}
	}
	if bad > maxListed {
		ex = append(ex, fmt.Sprintf("… and %d more hosts", bad-maxListed))
	}
	var ev []string
	if len(measured) > 0 {
		ev = append(ev, fmt.Sprintf("anti-malware sensor active on %d/%d measured hosts (%s)", ok, len(measured), pct(ok, len(measured)))+
			sourceNote(sensorSourceList(b.Hosts)))
	}
	ev52, ex52 := pci52Rows(b.Hosts) // pci52.go
	return verdict(append(ev, ev52...), append(ex, ex52...))
}
