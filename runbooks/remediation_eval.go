package runbooks

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// configSkew is how far Config's clock may sit behind ours: a verdict
// recorded that long before the patch finished still counts as after it.
const configSkew = 2 * time.Minute

// place is one account and region: Config is asked per place.
type place struct{ account, region string }

func (r *Remediation) places() map[place][]string {
	out := map[place][]string{}
	for _, in := range r.Instances {
		p := place{in.Host.Account, in.Host.Region}
		out[p] = append(out[p], in.Host.ID)
	}
	return out
}

// startEvaluation asks Config to evaluate the instances' rules again now
// that they are patched. Without an evaluator the remediation ends
// unverified: patched and verified by the patch agent, but Config's
// verdict was not measured, and the evidence says so.
func (e *Engine) startEvaluation(ctx context.Context, n *Remediation) (bool, error) {
	if e.deps.Compliance == nil {
		now := e.now()
		n.Status, n.Ended = RemUnverified, now
		n.emit(now, "", EvRemediationUnverify, ActorSystem, "patched and verified; no AWS Config evaluator is configured, so compliance was not measured", nil)
		return true, nil
	}
	rules := n.Rules()
	for p, ids := range n.places() {
		if err := e.deps.Compliance.StartEvaluation(ctx, p.account, p.region, rules); err != nil {
			return false, fmt.Errorf("start Config evaluation of %s in %s/%s (%d instances): %w", strings.Join(rules, ","), p.account, p.region, len(ids), err)
		}
	}
	now := e.now()
	s := e.cfg.Remediation
	n.EvalStarted, n.EvalChecked = now, now
	n.EvalDeadline, n.EvalPoll = now.Add(s.complianceTimeout()), s.compliancePoll()
	n.EvalSource = SourceOf(e.deps.Compliance)
	n.Errors, n.LastError = 0, ""
	n.emit(now, "", EvRemediationEvaluate, ActorSystem, fmt.Sprintf("asked AWS Config to re-evaluate %s; waiting up to %s for COMPLIANT",
		strings.Join(rules, ", "), ForPeople(s.complianceTimeout())), map[string]string{"rules": strings.Join(rules, ","), "source": n.EvalSource})
	return true, nil
}

// readCompliance reads Config's verdicts; an instance counts as compliant
// when every rule that flagged it recorded COMPLIANT after the patch.
func (e *Engine) readCompliance(ctx context.Context, n *Remediation) (bool, error) {
	after := n.patchedAt().Add(-configSkew)
	for p, ids := range n.places() {
		res, err := e.deps.Compliance.Compliance(ctx, p.account, p.region, ids, n.Rules())
		if err != nil {
			return false, fmt.Errorf("read Config compliance of %d instances in %s/%s: %w", len(ids), p.account, p.region, err)
		}
		byKey := make(map[[2]string]ComplianceResult, len(res))
		for _, c := range res {
			if _, dup := byKey[[2]string{c.Instance, c.Rule}]; !dup {
				byKey[[2]string{c.Instance, c.Rule}] = c // the first answer counts, as it always did
			}
		}
		for i := range n.Instances {
			in := &n.Instances[i]
			if in.Host.Account != p.account || in.Host.Region != p.region {
				continue
			}
			in.Compliance, in.At, in.CompliantSource = verdict(in.Rules, in.Host.ID, byKey, after, n.EvalSource)
		}
	}
	now := e.now()
	n.EvalChecked = now
	n.Errors, n.LastError = 0, ""
	if !n.allCompliant() {
		return false, nil
	}
	if n.Format >= RemFormatBlob {
		// The event names the blob holding these very verdicts.
		wctx, cancel := e.recordContext(ctx)
		defer cancel()
		if err := e.putInstances(wctx, n); err != nil {
			return false, err
		}
	}
	n.Status, n.Ended = RemResolved, now
	var lines []string
	for _, in := range n.Instances[:min(len(n.Instances), remAuditInstances)] {
		lines = append(lines, fmt.Sprintf("%s non-compliant %s → COMPLIANT %s (%s)", in.Host.ID, in.Since.UTC().Format(time.RFC3339),
			in.At.UTC().Format(time.RFC3339), ForPeople(in.At.Sub(in.Since))))
	}
	data := n.instancesAudit(lines, len(n.Instances))
	data["patched"], data["source"] = "true", n.EvalSource
	n.emit(now, "", EvRemediationResolved, ActorSystem, fmt.Sprintf("AWS Config reports all %d instance(s) COMPLIANT", len(n.Instances)), data)
	return true, nil
}

// verdict is one instance's compliance under its rules: COMPLIANT only
// when each rule recorded COMPLIANT at or after after; otherwise the
// first other verdict seen, or NON_COMPLIANT when Config recorded none.
func verdict(rules []string, id string, res map[[2]string]ComplianceResult, after time.Time, source string) (string, time.Time, string) {
	var last time.Time
	for _, rule := range rules {
		c, ok := res[[2]string{id, rule}]
		if !ok {
			return NonCompliant, time.Time{}, ""
		}
		if c.Compliance != Compliant || c.Recorded.Before(after) {
			v := c.Compliance
			if v == Compliant {
				v = NonCompliant // the COMPLIANT predates the patch: not this remediation's result
			}
			return v, c.Recorded, ""
		}
		if c.Recorded.After(last) {
			last = c.Recorded
		}
	}
	return Compliant, last, source
}

// patchedAt is when the patch gate finished.
func (r *Remediation) patchedAt() time.Time {
	for i := len(r.Gates) - 1; i >= 0; i-- {
		if r.Gates[i].Name == string(patchOp) {
			return r.Gates[i].At
		}
	}
	return r.EvalStarted
}

// complianceTimedOut closes a remediation Config did not confirm in time.
func (e *Engine) complianceTimedOut(n *Remediation) bool {
	now := e.now()
	var still []string
	for _, in := range n.Instances {
		if in.Compliance != Compliant {
			still = append(still, in.Host.ID+": "+orDefault(in.Compliance, NonCompliant))
		}
	}
	n.Status, n.Ended = RemNotCompliant, now
	data := n.instancesAudit(still[:min(len(still), remAuditInstances)], len(still))
	data["source"] = n.EvalSource
	n.emit(now, "", EvRemediationNotComp, ActorSystem, fmt.Sprintf("AWS Config did not report %d instance(s) COMPLIANT within %s of the re-evaluation",
		len(still), ForPeople(n.EvalDeadline.Sub(n.EvalStarted))), data)
	return true
}

// instancesAudit is an event's account of total instances by the lines of
// the first few: the rest are named by the instances blob (whose digest
// the event carries), so an event stays small at any count.
func (r *Remediation) instancesAudit(lines []string, total int) map[string]string {
	if total > len(lines) {
		lines = append(lines, fmt.Sprintf("… and %d more", total-len(lines)))
	}
	data := map[string]string{"instances": strings.Join(lines, "\n")}
	if r.InstancesBlob != nil {
		data["blob"], data["sha256"] = r.InstancesBlob.Key(), r.InstancesBlob.SHA256
		r.keepEvidence()
	}
	return data
}
