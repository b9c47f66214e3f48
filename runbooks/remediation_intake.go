package runbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/patchgate/patchgate/state"
)

// Remediation store keys beside the record's: the claim of each event
// (its value names the remediation it joined) and the collecting
// remediation of each tenant and environment.
func remediationEventKey(id string) string { return "runbooks/remediation/event/" + id }
func remediationCollectingKey(tenant, env string) string {
	return "runbooks/remediation/collecting/" + tenant + "/" + env
}

// IntakeComplianceEvent records one compliance event durably before the
// intake lets go of it (deletes the SQS message). A NON_COMPLIANT event
// joins the tenant's remediation collecting in the current debounce window
// for its environment, or opens one; a COMPLIANT event updates the open
// remediation holding the instance, or is only recorded. It is idempotent
// on ev.ID: a second call returns the same remediation and writes nothing,
// and replicas racing on one event or one window agree through Create and
// compare-and-swap.
func (e *Engine) IntakeComplianceEvent(ctx context.Context, ev ComplianceEvent) (string, error) {
	if err := e.checkComplianceEvent(ev); err != nil {
		return "", err
	}
	st := e.deps.Store
	key := remediationEventKey(ev.ID)
	for range 32 {
		claim, err := st.Get(ctx, key)
		if errors.Is(err, state.ErrNotFound) {
			target, err := e.remediationFor(ctx, ev)
			if err != nil {
				return "", err
			}
			if target == "" {
				// Recorded before it is claimed; the record is idempotent.
				if err := e.recordCompliance(ctx, ev); err != nil {
					return "", err
				}
				target = complianceRecorded
			}
			if _, err := e.createClaim(ctx, key, target); err != nil && !errors.Is(err, state.ErrConflict) {
				return "", storeErr("claim compliance event "+ev.ID, err)
			}
			continue // merge under the claim, whoever won it
		}
		if err != nil {
			return "", storeErr("read claim of compliance event "+ev.ID, err)
		}
		id := string(claim.Value)
		if id == complianceRecorded {
			return "", nil
		}
		done, err := e.mergeComplianceEvent(ctx, id, ev, claim)
		if errors.Is(err, state.ErrConflict) {
			continue
		}
		if err != nil {
			return "", err
		}
		if done {
			return id, nil
		}
	}
	return "", Errorf(CodeUnavailable, "compliance event %s: the remediation changed too fast to record it; try again", ev.ID)
}

// createClaim writes an event's claim, with remediation.claim_ttl as its
// lifetime where the store keeps lifetimes (state.Expiring).
func (e *Engine) createClaim(ctx context.Context, key, target string) (state.Record, error) {
	if x, ok := e.deps.Store.(state.Expiring); ok {
		return x.CreateTTL(ctx, key, []byte(target), e.cfg.Remediation.claimTTL())
	}
	return e.deps.Store.Create(ctx, key, []byte(target))
}

func (e *Engine) checkComplianceEvent(ev ComplianceEvent) error {
	var missing []string
	for name, v := range map[string]string{"id": ev.ID, "instance": ev.InstanceID, "tenant": ev.Tenant,
		"env": ev.Env, "compliance": ev.Compliance} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return Errorf(CodeInvalid, "compliance event %q lacks %s", ev.ID, strings.Join(slices.Sorted(slices.Values(missing)), ", "))
	}
	t, ok := e.tenants[ev.Tenant]
	if !ok {
		return Errorf(CodeNotFound, "compliance event %s names tenant %q, which is not configured", ev.ID, ev.Tenant)
	}
	if _, ok := t.Env(ev.Env); !ok {
		return Errorf(CodeNotFound, "compliance event %s names environment %q, which tenant %s does not have", ev.ID, ev.Env, ev.Tenant)
	}
	if _, ok := e.pipeline.Spec(ev.Env); !ok {
		return Errorf(CodeNotFound, "compliance event %s names environment %q, which is no tier of the pipeline", ev.ID, ev.Env)
	}
	return nil
}

// remediationFor names the remediation a fresh event joins: for a
// NON_COMPLIANT event the one collecting (opened if none); for any other
// verdict the open remediation holding the instance, or "" for none.
func (e *Engine) remediationFor(ctx context.Context, ev ComplianceEvent) (string, error) {
	if ev.Compliance != NonCompliant {
		open, err := e.Remediations(ctx, false)
		if err != nil {
			return "", err
		}
		for _, r := range open {
			if r.Tenant != ev.Tenant || r.Status.Terminal() {
				continue
			}
			held, err := e.holdsInstance(ctx, r, ev.InstanceID)
			if err != nil {
				return "", err
			}
			if held {
				return r.ID, nil
			}
		}
		return "", nil
	}
	return e.collectingRemediation(ctx, ev)
}

// collectingRemediation returns the tenant's environment's remediation
// whose debounce window is open, opening one when there is none. The
// record is created before the pointer to it, so a pointer never names a
// record still being written; the loser of a race removes its record.
func (e *Engine) collectingRemediation(ctx context.Context, ev ComplianceEvent) (string, error) {
	st := e.deps.Store
	key := remediationCollectingKey(ev.Tenant, ev.Env)
	for range 32 {
		now := e.now()
		ptr, err := st.Get(ctx, key)
		switch {
		case err == nil:
			r, gerr := e.getActiveRemediation(ctx, string(ptr.Value))
			if gerr == nil && r.Status == RemCollecting && now.Before(r.WindowEnd) {
				return r.ID, nil
			}
			if gerr != nil && ErrorCode(gerr) != CodeNotFound {
				return "", gerr
			}
			// The window closed (or its record was archived): a new one opens.
			if err := st.Delete(ctx, key, ptr.Version); err != nil && !errors.Is(err, state.ErrConflict) && !errors.Is(err, state.ErrNotFound) {
				return "", storeErr("close remediation window of "+ev.Tenant, err)
			}
			continue
		case !errors.Is(err, state.ErrNotFound):
			return "", storeErr("read remediation window of "+ev.Tenant, err)
		}
		r := e.newRemediation(ev.Tenant, ev.Env, now)
		if err := e.createRemediation(ctx, r); err != nil {
			return "", storeErr("create remediation "+r.ID, err)
		}
		if _, err := st.Create(ctx, key, []byte(r.ID)); err != nil {
			e.dropRemediation(ctx, r)
			if errors.Is(err, state.ErrConflict) {
				continue // another replica opened the window first
			}
			return "", storeErr("open remediation window of "+ev.Tenant, err)
		}
		if _, err := e.deliverRemediation(ctx, r); err != nil {
			e.log.Warn("deliver remediation opened", "remediation", r.ID, "err", err) // the next tick delivers it
		}
		return r.ID, nil
	}
	return "", Errorf(CodeUnavailable, "the remediation window of %s changed too fast; try again", ev.Tenant)
}

// newRemediation lays out a remediation under the environment's policy.
func (e *Engine) newRemediation(tenant, env string, now time.Time) *Remediation {
	spec, _ := e.pipeline.Spec(env)
	t := e.tenants[tenant]
	min := max(spec.MinApprovals, 1)
	if spec.FourEyes {
		// No person requested it, so four eyes means two people approve.
		min = max(min, 2)
	}
	r := &Remediation{
		ID:     fmt.Sprintf("%s%s-%s-%s", remediationIDPrefix, tenant, now.Format("20060102-150405"), randHex(3)),
		Tenant: tenant, Env: env, Status: RemCollecting, Created: now,
		WindowEnd:    now.Add(e.cfg.Remediation.debounce()),
		MinApprovals: min, FourEyes: spec.FourEyes, Production: spec.Production,
		AutoRemediate: spec.AutoRemediate && !spec.Production, SensorGate: spec.SensorGate,
		Window: stageWindow(t, spec), MinRemaining: spec.MinRemaining, Format: RemFormatBlob,
	}
	if e.cfg.WriteFormat < 3 {
		r.Format = RemFormatEntries // older replicas still running read no blob
	}
	r.emit(now, "", EvRemediationOpened, ActorSystem, fmt.Sprintf("non-compliant instances of %s %s collected until %s", tenant, env, r.WindowEnd.UTC().Format("15:04Z")), nil)
	return r
}

// mergeComplianceEvent adds ev to remediation id under the claim. It
// reports done once the remediation holds the event; when the
// remediation no longer takes events, it moves the claim to a fresh one
// and reports not done.
func (e *Engine) mergeComplianceEvent(ctx context.Context, id string, ev ComplianceEvent, claim state.Record) (bool, error) {
	r, err := e.remediations().get(ctx, id)
	if ErrorCode(err) == CodeNotFound {
		r = nil
	} else if err != nil {
		return false, err
	}
	if r != nil && r.hasEvent(ev.ID) {
		return true, nil
	}
	landed := r != nil && r.accepts(ev)
	if landed && r.collectsEntries() {
		if err := e.mergeEntry(ctx, r, ev); err != nil {
			return false, err
		}
		if landed, err = e.entryLanded(ctx, id, ev); err != nil || landed {
			return landed, err
		}
	}
	if !landed {
		// The claim names a remediation that moved on before the event
		// joined it (a crash between claim and merge): claim a fresh one.
		target, err := e.remediationFor(ctx, ev)
		if err != nil {
			return false, err
		}
		if target == "" {
			if err := e.recordCompliance(ctx, ev); err != nil {
				return false, err
			}
			target = complianceRecorded
		}
		if _, err := e.deps.Store.Update(ctx, remediationEventKey(ev.ID), []byte(target), claim.Version); err != nil {
			return false, err
		}
		return target == complianceRecorded, nil
	}
	if r.Format >= RemFormatBlob {
		// The entry stays the index of what the remediation holds; the
		// instances themselves are in the blob.
		if err := e.mergeEntry(ctx, r, ev); err != nil {
			return false, err
		}
		if err := e.loadInstances(ctx, r); errors.Is(err, state.ErrNotFound) {
			return false, fmt.Errorf("%w: %w", state.ErrConflict, err) // a write replaced the blob: read the record again
		} else if err != nil {
			return false, err
		}
	}
	n := r.Clone()
	if !n.merge(e.now(), ev) {
		return true, nil // a repeat that changes nothing
	}
	if err := e.saveRemediation(ctx, nil, n); err != nil {
		return false, err
	}
	if _, err := e.deliverRemediation(ctx, n); err != nil {
		e.log.Warn("deliver remediation events", "remediation", n.ID, "err", err)
	}
	return true, nil
}

// accepts reports whether ev may still join r.
func (r *Remediation) accepts(ev ComplianceEvent) bool {
	if r.Tenant != ev.Tenant {
		return false
	}
	if ev.Compliance == NonCompliant {
		return r.Env == ev.Env && r.open()
	}
	return !r.Status.Terminal()
}

// merge adds ev's instance and verdict to a record holding its instances
// inline, and reports whether anything changed. A format-0 record lists
// the event's ID too (its redeliveries are recognised by it); a later one
// leaves the ID to the claim key, and a repeat that changes nothing is not
// written.
func (r *Remediation) merge(now time.Time, ev ComplianceEvent) bool {
	legacy := r.Format < RemFormatEntries
	if legacy {
		r.EventIDs = append(r.EventIDs, ev.ID)
	}
	data := map[string]string{"event": ev.ID, "rule": ev.Rule, "compliance": ev.Compliance,
		"account": ev.Account, "region": ev.Region, "source": ev.Source, "at": ev.At.UTC().Format(time.RFC3339)}
	in := r.instance(ev.InstanceID)
	if ev.Compliance != NonCompliant {
		if in != nil && ev.Compliance == Compliant {
			if !legacy && in.Compliance == Compliant {
				return false
			}
			in.Compliance, in.At, in.CompliantSource = Compliant, ev.At, "aws-config event "+ev.ID
		}
		r.emit(now, ev.InstanceID, EvRemediationEvent, ActorSystem, fmt.Sprintf("Config reports %s %s for %s", ev.InstanceID, ev.Compliance, orDefault(ev.Rule, "its rules")), data)
		return true
	}
	if in != nil && !legacy {
		probe := *in
		probe.Rules = slices.Clone(in.Rules)
		if !probe.apply(ev) {
			return false
		}
	}
	if len(r.Instances) == 0 {
		r.emit(now, "", EvRemediationOpened, ActorSystem, fmt.Sprintf("non-compliant instances of %s %s collected until %s", r.Tenant, r.Env, r.WindowEnd.UTC().Format("15:04Z")), nil)
	}
	if in == nil {
		r.Instances = append(r.Instances, RemediationInstance{Host: Host{ID: ev.InstanceID, Name: ev.InstanceID,
			Cloud: AWS, Account: ev.Account, Region: ev.Region, Env: ev.Env}, Since: ev.At, Compliance: NonCompliant,
			FirstEvent: ev.ID, Source: ev.Source})
		in = &r.Instances[len(r.Instances)-1]
	}
	if ev.Rule != "" && !slices.Contains(in.Rules, ev.Rule) {
		in.Rules = append(in.Rules, ev.Rule)
	}
	if !ev.At.IsZero() && (in.Since.IsZero() || ev.At.Before(in.Since)) {
		in.Since = ev.At
	}
	in.Compliance, in.At, in.CompliantSource = NonCompliant, ev.At, ""
	r.emit(now, ev.InstanceID, EvRemediationEvent, ActorSystem, fmt.Sprintf("Config reports %s NON_COMPLIANT with %s", ev.InstanceID, orDefault(ev.Rule, "a patch rule")), data)
	return true
}

// complianceRecorded is the claim of an event that joined no remediation
// and was recorded on its own.
const complianceRecorded = "compliance:recorded"

// recordCompliance chains a compliance event that joined no remediation
// as the first entry of its own stream under the tenant's, so replicas and
// redeliveries record it exactly once.
func (e *Engine) recordCompliance(ctx context.Context, ev ComplianceEvent) error {
	b, _ := json.Marshal(Event{At: e.now(), Tenant: ev.Tenant, Stage: ev.InstanceID, Type: EvComplianceRecorded, Actor: ActorSystem,
		Detail: fmt.Sprintf("Config reports %s %s (no remediation open)", ev.InstanceID, ev.Compliance),
		Data: map[string]string{"event": ev.ID, "rule": ev.Rule, "compliance": ev.Compliance, "account": ev.Account,
			"region": ev.Region, "env": ev.Env, "source": ev.Source, "at": ev.At.UTC().Format(time.RFC3339)}})
	if _, err := e.deps.Store.AppendAt(ctx, ComplianceStream(ev.Tenant, ev.ID), 1, b); err != nil && !errors.Is(err, state.ErrConflict) {
		return storeErr("record compliance event "+ev.ID, err)
	}
	return nil
}
