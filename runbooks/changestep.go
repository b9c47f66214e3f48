package runbooks

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// changeStep runs the change record action a on n: create the record,
// move it, look at its approval, or close it. A failed call never fails a
// stage: it is counted on the record, shown (Stage.Trouble, the cycle's
// message) and retried after a growing pause while the cycle goes on; only
// a stage whose tier requires the approval waits for it.
func (e *Engine) changeStep(ctx context.Context, n *Cycle, a Action, now time.Time) (bool, error) {
	r := n.Change
	cr := e.deps.ChangeRecords
	if cr == nil {
		return e.changeFailed(n, a, now, errors.New("no change platform is configured on this replica (change_records)")), nil
	}
	var st ChangeStatus
	var err error
	switch a.Reason {
	case "create":
		st, err = e.createChange(ctx, n, now)
		if errors.Is(err, errChangeBusy) {
			r.RetryAt = now.Add(changeRetryBase)
			return true, nil
		}
	case "poll":
		st, err = cr.Get(ctx, r.ID)
	case "close":
		st, err = cr.Close(ctx, r.ID, changeOutcome(n))
	default:
		st, err = cr.Transition(ctx, r.ID, r.Kind, ChangeState(a.Reason), changeNote(n, ChangeState(a.Reason)))
	}
	if err != nil {
		return e.changeFailed(n, a, now, err), nil
	}
	e.changeSeen(n, a, st, now)
	return true, nil
}

// errChangeBusy: another replica is creating this cycle's record now.
var errChangeBusy = errors.New("change record being created by another replica")

// createChange creates the cycle's record once across replicas: a claim
// per attempt (the record's revision and error count name it) keeps two
// replicas that both think they hold the cycle from creating at once, and
// the platform's Create finds a record an earlier attempt made (by the
// cycle ID as correlation ID) before it makes one.
func (e *Engine) createChange(ctx context.Context, n *Cycle, now time.Time) (ChangeStatus, error) {
	key := fmt.Sprintf("change/create/%s/%d-%d", n.ID, n.Revision, n.Change.Errors)
	won, err := e.deps.Store.Claim(ctx, key, e.cfg.StepTimeout+e.cfg.RecordTimeout)
	if err != nil {
		return ChangeStatus{}, storeErr("claim change record creation for "+n.ID, err)
	}
	if !won {
		return ChangeStatus{}, errChangeBusy
	}
	return e.deps.ChangeRecords.Create(ctx, e.changeSpec(n, now))
}

// changeSeen records a successful call's answer on the cycle and emits
// the audit event of what changed.
func (e *Engine) changeSeen(n *Cycle, a Action, st ChangeStatus, now time.Time) {
	r := n.Change
	was := *r
	r.ID, r.PlatformState, r.Approval = orDefault(st.ID, r.ID), st.State, st.Approval
	r.Number, r.URL = orDefault(st.Number, r.Number), orDefault(st.URL, r.URL)
	r.Approved, r.Rejected = st.Approved, st.Rejected
	r.Errors, r.LastError, r.LastAction, r.RetryAt = 0, "", "", time.Time{}
	data := changeData(r)
	switch a.Reason {
	case "create":
		n.emit(now, "", EvChangeCreated, ActorSystem, fmt.Sprintf("%s %s change %s created", PlatformName(r.Platform), r.Kind, r.Number), data)
	case "poll":
		if !r.Approved {
			// Not approved yet: look again after a pause.
			r.RetryAt = now.Add(e.changePoll())
		}
	case "close":
		r.State = ChangeClosed
		r.States = append(r.States, string(ChangeClosed)+": "+st.State)
		n.emit(now, "", EvChangeClosed, ActorSystem, fmt.Sprintf("%s closed %s", r.Number, changeOutcome(n).Code), data)
	default:
		r.State = ChangeState(a.Reason)
		r.States = append(r.States, a.Reason+": "+st.State)
		n.emit(now, "", EvChangeTransition, ActorSystem, fmt.Sprintf("%s moved to %s (%s)", r.Number, a.Reason, st.State), data)
	}
	switch {
	case r.Approved && !was.Approved:
		n.emit(now, "", EvChangeApproved, ActorSystem, r.Number+" approved in "+PlatformName(r.Platform), data)
	case r.Rejected && !was.Rejected:
		n.emit(now, "", EvChangeRejected, ActorSystem, r.Number+" rejected in "+PlatformName(r.Platform), data)
	}
}

// changeFailed records a failed change platform call and when it is
// retried. The first failure of a run is audited; repeats only count. At
// the end of a cycle, a close that keeps failing is given up after
// changeCloseAttempts, audited, so the cycle is archived.
func (e *Engine) changeFailed(n *Cycle, a Action, now time.Time, err error) bool {
	r := n.Change
	r.Errors++
	r.LastError = err.Error()
	wait := min(changeRetryBase<<min(r.Errors-1, 10), changeRetryMax)
	r.RetryAt = now.Add(wait)
	e.log.Warn("change platform call failed", "cycle", n.ID, "tenant", n.Tenant, "platform", r.Platform,
		"action", a.Reason, "attempt", r.Errors, "retry_in", wait, "err", err)
	data := changeData(r)
	data["action"], data["error"], data["attempt"] = a.Reason, r.LastError, fmt.Sprint(r.Errors)
	if ce, ok := AsCallError(err); ok {
		data["raw_error"] = ce.Raw()
	}
	if r.Errors == 1 {
		n.emit(now, "", EvChangeFailed, ActorSystem, fmt.Sprintf("%s: %s failed, retrying: %s", r.Label(), a.Reason, r.LastError), data)
	}
	if n.Status.Terminal() && r.Errors >= changeCloseAttempts {
		r.GaveUp = fmt.Sprintf("%s not done after %d attempts: %s", a.Reason, r.Errors, r.LastError)
		n.emit(now, "", EvChangeFailed, ActorSystem, r.Label()+" left open: "+r.GaveUp, data)
	}
	r.LastAction = a.Reason
	return true
}

// changePoll is how often a record awaiting approval is looked at.
func (e *Engine) changePoll() time.Duration {
	if e.cfg.ChangePoll > 0 {
		return e.cfg.ChangePoll
	}
	return DefaultChangePoll
}

// DefaultChangePoll is engine.change_poll's default.
const DefaultChangePoll = time.Minute

func changeData(r *ChangeRef) map[string]string {
	d := map[string]string{"platform": r.Platform, "kind": string(r.Kind), "source": r.Platform}
	for k, v := range map[string]string{"number": r.Number, "id": r.ID, "url": r.URL, "platform_state": r.PlatformState, "approval": r.Approval} {
		if v != "" {
			d[k] = v
		}
	}
	return d
}
