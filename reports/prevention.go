package reports

import (
	"fmt"
	"sort"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// tierMode is what the tenant's rollouts say of one tier: the rollout
// that last moved its host group, and the mode it left.
type tierMode struct {
	Tier   string
	Mode   string // prevention, detection, or "" when no move is recorded
	By     *runbooks.Prevention
	Status runbooks.PreventionStatus
}

// tierModes reads the latest rollout per tier that moved (or was to
// move) its host group; rejected rollouts moved nothing.
func tierModes(ps []*runbooks.Prevention) []tierMode {
	last := map[string]*runbooks.Prevention{}
	for _, p := range ps { // oldest first: later ones win
		if p.Status == runbooks.PreventionRejected {
			continue
		}
		last[p.Tier] = p
	}
	var out []tierMode
	for tier, p := range last {
		m := tierMode{Tier: tier, By: p, Status: p.Status}
		if !p.Assigned.IsZero() {
			m.Mode = p.Mode
		}
		if p.Status == runbooks.PreventionRolledBack {
			m.Mode = runbooks.ModeDetection
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Tier < out[j].Tier })
	return out
}

// evalCC68: each tier's EDR mode, how it got there (rollout, approvers,
// the detection gate), from the rollouts' own records; a tier whose gate
// failed, or whose rollout is blocked or failed, is an exception.
func evalCC68(b *Bundle) Result {
	if len(b.Preventions) == 0 {
		return Result{Status: StatusNotApplicable, Evidence: []string{"no Detection → Prevention rollout recorded for this tenant"}}
	}
	var ev, ex []string
	for _, m := range tierModes(b.Preventions) {
		p := m.By
		line := fmt.Sprintf("%s: %s %s (%s), host group %s", m.Tier, p.Mode, p.ID, p.Status, p.Plan.HostGroup)
		if m.Mode != "" {
			line += fmt.Sprintf(" moved %s to policy %s", ts(p.Assigned), policyOf(p))
		}
		for _, a := range p.Approvals {
			line += "; approved by " + a.By + " " + ts(a.At)
		}
		if g := p.Gate; g != nil {
			line += fmt.Sprintf("; detection gate %s: %s (source %s)", map[bool]string{true: "passed", false: "failed"}[g.Passed], g.Reason, g.Source)
		} else if l := p.Latest; l != nil {
			line += fmt.Sprintf("; window until %s, so far %s (source %s)", ts(p.WindowEnds), l.Counts.String(), l.Source)
		}
		switch p.Status {
		case runbooks.PreventionGateFailed, runbooks.PreventionBlocked, runbooks.PreventionFailed:
			ex = append(ex, line)
		default:
			ev = append(ev, line)
		}
	}
	return verdict(ev, ex)
}

func policyOf(p *runbooks.Prevention) string {
	if p.Mode == runbooks.ModeDetection {
		return p.Plan.DetectionPolicy
	}
	return p.Plan.PreventionPolicy
}

// evalPCI53: the anti-malware mode and policy of every host, by its tier,
// as the rollouts assigned them; a host whose tier has no recorded move
// is listed as not measured (never as protected).
func evalPCI53(b *Bundle) Result {
	if len(b.Preventions) == 0 || len(b.Hosts) == 0 {
		return Result{Status: StatusNotApplicable, Evidence: []string{"no Detection → Prevention rollout recorded for this tenant"}}
	}
	modes := map[string]tierMode{}
	for _, m := range tierModes(b.Preventions) {
		modes[m.Tier] = m
	}
	type key struct{ env, mode, policy, id, source string }
	count := map[key]int{}
	var ex []string
	unknown := 0
	for _, h := range b.Hosts {
		m, ok := modes[h.Env]
		if !ok || m.Mode == "" {
			unknown++
			if unknown <= maxListed {
				ex = append(ex, fmt.Sprintf("%s (%s, %s): EDR mode not recorded: no rollout moved its tier's host group", h.Name, h.ID, h.Env))
			}
			continue
		}
		var src []string
		if m.By.Move != nil && m.By.Move.Source != "" {
			src = []string{m.By.Move.Source}
		}
		count[key{h.Env, m.Mode, policyOf(m.By), m.By.ID, strings.Join(src, "")}]++
	}
	if unknown > maxListed {
		ex = append(ex, fmt.Sprintf("… and %d more hosts", unknown-maxListed))
	}
	var ev []string
	for k, n := range count {
		ev = append(ev, fmt.Sprintf("%s: %d host(s) in %s mode, policy %s, assigned by %s", k.env, n, k.mode, k.policy, k.id)+sourceNote(nonEmptyList(k.source)))
	}
	sort.Strings(ev)
	return verdict(ev, ex)
}

func nonEmptyList(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
