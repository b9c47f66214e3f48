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

// A remediation opened in this format (RemFormatEntries) keeps the
// instances of its debounce window as entries of their own, one small
// value per instance under the remediation, until the window ends: an
// event for a new instance creates one entry, a repeat of a known instance
// writes nothing beyond its claim, and the record itself is not rewritten
// while the window fills, so a burst costs O(1) store work per event. When
// the window ends the engine seals the record (no entry is then added
// unseen), gathers the entries into Instances and audits one line per
// instance. Records written before (format 0) keep their instances and
// event IDs inline and are merged as they always were.
const RemFormatEntries = 2

// remediationEntryPrefix holds the window's instance entries of id.
func remediationEntryPrefix(id string) string { return "runbooks/remediation/window/" + id + "/" }

func remediationEntryKey(id, instance string) string { return remediationEntryPrefix(id) + instance }

// collectsEntries reports whether events join r as instance entries.
func (r *Remediation) collectsEntries() bool { return r.Format >= RemFormatEntries && !r.Gathered }

// Remediation actions of the entries format.
const (
	ActRemSeal   ActionKind = "remediation_seal"   // the window ended: take no more entries
	ActRemGather ActionKind = "remediation_gather" // read the entries into the record
)

// mergeEntry records ev in its instance's entry under r: created for a new
// instance, rewritten only when ev changes what it says (a rule not listed,
// an earlier first report, a later verdict), else left alone.
func (e *Engine) mergeEntry(ctx context.Context, r *Remediation, ev ComplianceEvent) error {
	st := e.deps.Store
	key := remediationEntryKey(r.ID, ev.InstanceID)
	for range 32 {
		rec, err := st.Get(ctx, key)
		if errors.Is(err, state.ErrNotFound) {
			if ev.Compliance != NonCompliant {
				return nil // routed here by an entry that is gone: nothing to update
			}
			in := RemediationInstance{Host: Host{ID: ev.InstanceID, Name: ev.InstanceID, Cloud: AWS, Account: ev.Account,
				Region: ev.Region, Env: ev.Env}, Compliance: NonCompliant, Since: ev.At, At: ev.At, FirstEvent: ev.ID, Source: ev.Source}
			if ev.Rule != "" {
				in.Rules = []string{ev.Rule}
			}
			b, _ := json.Marshal(in)
			if _, err := st.Create(ctx, key, b); errors.Is(err, state.ErrConflict) {
				continue
			} else if err != nil {
				return storeErr("record instance "+ev.InstanceID+" of "+r.ID, err)
			}
			return nil
		}
		if err != nil {
			return storeErr("read instance "+ev.InstanceID+" of "+r.ID, err)
		}
		var in RemediationInstance
		if err := json.Unmarshal(rec.Value, &in); err != nil {
			return fmt.Errorf("decode instance entry %s: %w", key, err)
		}
		if !in.apply(ev) {
			return nil
		}
		b, _ := json.Marshal(in)
		if _, err := st.Update(ctx, key, b, rec.Version); errors.Is(err, state.ErrConflict) {
			continue
		} else if err != nil {
			return storeErr("update instance "+ev.InstanceID+" of "+r.ID, err)
		}
		return nil
	}
	return Errorf(CodeUnavailable, "instance %s of %s changed too fast; try again", ev.InstanceID, r.ID)
}

// apply folds ev into the instance and reports whether anything changed.
// A verdict older than the one held does not overwrite it.
func (in *RemediationInstance) apply(ev ComplianceEvent) bool {
	changed := false
	if ev.Compliance == NonCompliant {
		if ev.Rule != "" && !slices.Contains(in.Rules, ev.Rule) {
			in.Rules = append(in.Rules, ev.Rule)
			changed = true
		}
		if !ev.At.IsZero() && (in.Since.IsZero() || ev.At.Before(in.Since)) {
			in.Since, in.FirstEvent = ev.At, ev.ID
			changed = true
		}
	}
	if in.Compliance != ev.Compliance && (in.At.IsZero() || !ev.At.Before(in.At)) {
		in.Compliance, in.At = ev.Compliance, ev.At
		in.CompliantSource = ""
		if ev.Compliance == Compliant {
			in.CompliantSource = "aws-config event " + ev.ID
		}
		changed = true
	}
	return changed
}

// entryLanded reports, after ev's entry is written, whether the
// remediation took it: yes while it is unsealed (the gather lists the
// entries after sealing, so it will see this one) or when the gathered
// instances hold it. A record sealed but not yet gathered cannot say; the
// caller is asked to try again (the next tick gathers it).
func (e *Engine) entryLanded(ctx context.Context, id string, ev ComplianceEvent) (bool, error) {
	r, err := e.getActiveRemediation(ctx, id)
	if ErrorCode(err) == CodeNotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	switch {
	case !r.accepts(ev):
		return false, nil
	case !r.Sealed:
		return true, nil
	case r.Gathered:
		return e.holdsInstance(ctx, r, ev.InstanceID)
	}
	return false, Errorf(CodeUnavailable, "remediation %s is gathering its window; try event %s again", id, ev.ID)
}

// holdsInstance reports whether r holds instance: its entry says so while
// the window collects and, from RemFormatBlob, until r is archived (no
// blob is read); an inline record says so itself.
func (e *Engine) holdsInstance(ctx context.Context, r *Remediation, instance string) (bool, error) {
	if r.collectsEntries() || r.Format >= RemFormatBlob {
		return e.hasEntry(ctx, r, instance)
	}
	return r.instance(instance) != nil, nil
}

// hasEntry reports whether r's window holds an entry for instance.
func (e *Engine) hasEntry(ctx context.Context, r *Remediation, instance string) (bool, error) {
	_, err := e.deps.Store.Get(ctx, remediationEntryKey(r.ID, instance))
	if errors.Is(err, state.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, storeErr("read instance "+instance+" of "+r.ID, err)
	}
	return true, nil
}

// entries reads r's window entries in key order.
func (e *Engine) entries(ctx context.Context, id string) ([]RemediationInstance, error) {
	recs, err := e.deps.Store.List(ctx, remediationEntryPrefix(id))
	if err != nil {
		return nil, storeErr("list instances of "+id, err)
	}
	out := make([]RemediationInstance, 0, len(recs))
	for _, rec := range recs {
		var in RemediationInstance
		if err := json.Unmarshal(rec.Value, &in); err != nil {
			return nil, fmt.Errorf("decode instance entry %s: %w", rec.Key, err)
		}
		out = append(out, in)
	}
	return out, nil
}

// gatherRemediation reads the sealed window's entries into n. A record
// before RemFormatBlob keeps them inline and audits one line per instance
// (the event that first reported it, its rules, since when, and one more
// for an instance Config has called COMPLIANT since); from RemFormatBlob
// they go to a blob, audited by one event carrying its digest, and one
// line each only for a few. The opened line was audited when the window
// opened.
func (e *Engine) gatherRemediation(ctx context.Context, n *Remediation, now time.Time) (bool, error) {
	ins, err := e.entries(ctx, n.ID)
	if err != nil {
		return false, err
	}
	n.Instances, n.Gathered = ins, true
	if len(ins) == 0 {
		return true, nil // opened by an intake that crashed before its entry
	}
	if n.Format >= RemFormatBlob {
		wctx, cancel := e.recordContext(ctx)
		defer cancel()
		if err := e.putInstances(wctx, n); err != nil {
			return false, err
		}
		if len(ins) > remAuditInstances {
			ins = nil // the gathered event below names them by digest
		}
	}
	for _, in := range ins {
		h := in.Host
		data := map[string]string{"event": in.FirstEvent, "rule": strings.Join(in.Rules, ","), "compliance": NonCompliant,
			"account": h.Account, "region": h.Region, "source": in.Source, "at": in.Since.UTC().Format(time.RFC3339)}
		n.emit(now, h.ID, EvRemediationEvent, ActorSystem, fmt.Sprintf("Config reports %s NON_COMPLIANT with %s",
			h.ID, orDefault(strings.Join(in.Rules, ", "), "a patch rule")), data)
		if in.Compliance == Compliant {
			n.emit(now, h.ID, EvRemediationEvent, ActorSystem, fmt.Sprintf("Config reports %s COMPLIANT (%s)", h.ID, in.CompliantSource),
				map[string]string{"compliance": Compliant, "source": in.CompliantSource, "at": in.At.UTC().Format(time.RFC3339)})
		}
	}
	if ref := n.InstancesBlob; ref != nil {
		n.emit(now, "", EvRemediationGathered, ActorSystem, fmt.Sprintf("%d non-compliant instance(s) gathered (blob %s, %d bytes)",
			ref.Count, ref.SHA256[:12], ref.Size), n.auditData())
	}
	return true, nil
}

// dropEntries deletes a finished remediation's window entries.
func (e *Engine) dropEntries(ctx context.Context, id string) error {
	st := e.deps.Store
	recs, err := st.List(ctx, remediationEntryPrefix(id))
	if err != nil {
		return storeErr("list instances of "+id, err)
	}
	for _, rec := range recs {
		if err := st.Delete(ctx, rec.Key, rec.Version); err != nil && !errors.Is(err, state.ErrNotFound) && !errors.Is(err, state.ErrConflict) {
			return storeErr("drop instance entry "+rec.Key, err)
		}
	}
	return nil
}
