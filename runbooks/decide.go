package runbooks

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/patchgate/patchgate/state"
)

// DecisionAction is what a person asks of a cycle.
type DecisionAction string

const (
	Approve   DecisionAction = "approve"
	Reject    DecisionAction = "reject"
	HaltCycle DecisionAction = "halt"
	Resume    DecisionAction = "resume"
	Retry     DecisionAction = "retry"
	Exclude   DecisionAction = "proceed-with-exclusions"
)

// Decision is one person's click or command.
type Decision struct {
	Cycle  string
	Stage  string // required for approve, reject, retry, exclude
	Action DecisionAction
	Actor  string
	// SeenRevision is the cycle revision the person's message was rendered
	// from; a different current revision means they decided on outdated
	// information and the decision is refused. 0 skips the check (the CLI,
	// which shows the cycle it acts on).
	SeenRevision int64
	// InteractionID de-duplicates redelivered clicks.
	InteractionID string
	Reason        string
	// Waive is what a Waive decision skips (WaiveSoak, WaiveWindow); Reason
	// is then its justification.
	Waive string
}

// Outcome is what a decision did.
type Outcome struct {
	Cycle    *Cycle
	Rollback *Rollback // set instead of Cycle for a rollback's decision
	// Prevention is set instead of Cycle for a prevention rollout's decision.
	Prevention *Prevention
	// Remediation is set instead of Cycle for a remediation's decision.
	Remediation *Remediation
	// SensorDeploy is set instead of Cycle for a sensor deployment's.
	SensorDeploy *SensorDeploy
	Duplicate    bool   // the same interaction was applied before: nothing changed
	Message      string // a short confirmation to show the person
}

// Decide applies a person's decision if the approval policy allows it. It
// re-reads and re-checks on a write conflict, so of many concurrent
// decisions each is judged against the cycle as it really is. Refusals are
// coded errors for the person and are themselves audited.
func (e *Engine) Decide(ctx context.Context, d Decision) (Outcome, error) {
	if d.Actor == "" || d.Cycle == "" {
		return Outcome{}, Errorf(CodeInvalid, "a decision needs a cycle and an actor")
	}
	if k := e.kindOf(d.Cycle); k != nil { // a rollback or another runbook kind
		return k.decide(ctx, d)
	}
	if d.Action == RollBack { // a cycle's "Roll back N hosts" button
		return e.rollbackFromCycle(ctx, d)
	}
	// Who decided is read once, before the policy is checked, so approvals
	// and refusals alike record the person as they were at decision time.
	who := e.person(ctx, d.Actor)
	for range 32 {
		c, err := e.getActive(ctx, d.Cycle)
		if err != nil {
			return Outcome{}, err
		}
		if d.InteractionID != "" && slices.Contains(c.Interactions, d.InteractionID) {
			return Outcome{Cycle: c, Duplicate: true, Message: "Already recorded."}, nil
		}
		n := c.Clone()
		msg, err := e.apply(ctx, n, d, who)
		if err != nil {
			if ErrorCode(err) != CodeInternal && ErrorCode(err) != CodeUnavailable {
				e.auditRefusal(ctx, c, d, who, err)
			}
			return Outcome{Cycle: c}, err
		}
		if d.InteractionID != "" {
			n.Interactions = append(n.Interactions, d.InteractionID)
		}
		err = e.save(ctx, nil, n)
		if errors.Is(err, state.ErrConflict) {
			continue
		}
		if err != nil {
			return Outcome{}, storeErr("record decision", err)
		}
		e.log.Info("decision", "cycle", n.ID, "tenant", n.Tenant, "stage", d.Stage,
			"action", string(d.Action), "actor", d.Actor)
		// Best effort; the engine loop delivers whatever this misses.
		if _, err := e.deliver(ctx, n); err != nil {
			e.log.Warn("deliver decision events", "cycle", n.ID, "err", err)
		}
		return Outcome{Cycle: n, Message: msg}, nil
	}
	return Outcome{}, Errorf(CodeUnavailable, "the cycle is changing too fast to record your decision; try again")
}

// apply checks d against policy and state and applies it to n.
func (e *Engine) apply(ctx context.Context, n *Cycle, d Decision, who Person) (string, error) {
	var s *Stage
	i := -1
	if d.Stage != "" {
		if s, i = n.Stage(d.Stage); s == nil {
			return "", Errorf(CodeNotFound, "cycle %s has no stage %q", n.ID, d.Stage)
		}
	}
	switch d.Action {
	case Approve, Reject, Retry, Exclude, Waive:
		if s == nil {
			return "", Errorf(CodeInvalid, "%s needs a stage", d.Action)
		}
	case HaltCycle, Resume:
	default:
		return "", Errorf(CodeInvalid, "unknown action %q", d.Action)
	}
	if err := e.authorize(ctx, n, s, d); err != nil {
		return "", err
	}
	if err := checkState(n, s, d); err != nil {
		return "", err
	}
	// Halting is always safe, so a Halt button on an old message still works.
	if d.SeenRevision != 0 && d.SeenRevision != n.Revision && d.Action != HaltCycle {
		last := "it changed"
		if len(n.Outbox) > 0 {
			last = "latest: " + describe(n.Outbox[len(n.Outbox)-1])
		}
		return "", Errorf(CodeStale, "This message was out of date (%s). It has been refreshed; look again before deciding.", last)
	}
	now := e.now()
	switch d.Action {
	case Approve:
		s.Approvals = append(s.Approvals, Approval{By: d.Actor, At: now, Interaction: d.InteractionID, Revision: n.Revision, Person: &who})
		k := len(s.Approvals)
		n.emitBy(now, s.Name, EvApproved, who, fmt.Sprintf("approved (%d/%d)", k, s.MinApprovals), nil)
		if k < s.MinApprovals {
			return fmt.Sprintf("Approved %s (%d/%d); one more approver needed.", s.Name, k, s.MinApprovals), nil
		}
		n.emit(now, s.Name, EvApprovalComplete, ActorSystem, fmt.Sprintf("%d approval(s) recorded", k), nil)
		n.advance(i, now)
		return fmt.Sprintf("Approved %s (%d/%d); %s.", s.Name, k, s.MinApprovals, s.approvedNote(now)), nil
	case Waive:
		return n.waive(s, d, who, now), nil
	case Reject:
		n.Status, n.Ended = StatusRejected, now
		n.emitBy(now, s.Name, EvCycleRejected, who, d.Reason, nil)
		return "Rejected; the cycle is closed.", nil
	case HaltCycle:
		n.Status = StatusHalted
		n.Halt = &Halt{By: d.Actor, At: now, Reason: orDefault(d.Reason, "halted by hand")}
		n.emitBy(now, d.Stage, EvHalted, who, n.Halt.Reason, nil)
		for j := range n.Stages {
			if n.Stages[j].Incident.Triggered && !n.Stages[j].Incident.Resolved {
				n.Stages[j].Incident.AckWanted = true
			}
		}
		return "Halted. Resume or retry when ready.", nil
	case Resume:
		n.Status, n.Halt = StatusRunning, nil
		n.emitBy(now, d.Stage, EvResumed, who, "", nil)
		return "Resumed.", nil
	case Retry:
		f := s.Failure
		s.Phase, s.Failure = f.Phase, nil
		s.Attempt++
		s.Errors, s.LastError = 0, ""
		resetOp(s, f.Phase)
		n.Status, n.Halt = StatusRunning, nil
		s.Incident.AckWanted = true
		n.emitBy(now, s.Name, EvRetry, who, "retry "+string(f.Phase)+" after: "+f.Reason, nil)
		return fmt.Sprintf("Retrying %s from %s.", s.Name, f.Phase), nil
	case Exclude:
		f := s.Failure
		s.Exclusions = append(s.Exclusions, f.Findings...)
		n.Scope.Excluded += len(f.Findings)
		s.Phase, s.Failure = f.Phase, nil
		s.Errors, s.LastError = 0, ""
		n.Status, n.Halt = StatusRunning, nil
		s.Incident.AckWanted = true
		n.emitBy(now, s.Name, EvExclusions, who, fmt.Sprintf("proceeding without %d host(s): %s", len(f.Findings), hostList(f.Findings, 20)),
			map[string]string{"hosts": hostList(f.Findings, 1000), "reason": f.Reason})
		n.advance(i, now)
		return fmt.Sprintf("Proceeding without %d host(s).", len(f.Findings)), nil
	}
	return "", nil
}

// authorize checks who may do what: approvers of the stage's environment
// approve, reject, retry and exclude; the requester or any approver may halt
// (stopping is always safe); four-eyes stages refuse the requester.
func (e *Engine) authorize(ctx context.Context, n *Cycle, s *Stage, d Decision) error {
	var (
		ok  bool
		err error
	)
	switch {
	case d.Action == HaltCycle:
		ok = d.Actor == n.Requester
		if !ok {
			ok, err = e.isAnyApprover(ctx, d.Actor)
		}
	case s != nil:
		ok, err = e.stageApprover(ctx, s, d.Actor)
	default:
		if cur := n.Current(); cur >= 0 {
			ok, err = e.stageApprover(ctx, &n.Stages[cur], d.Actor)
		}
	}
	if err != nil {
		return fmt.Errorf("check approvers: %w", errors.Join(Errorf(CodeUnavailable, "Could not check the approver list; nothing was changed. Try again."), err))
	}
	if !ok {
		where := "this cycle"
		if s != nil && s.Kind == KindEnvironment {
			where = s.Env
			if s.Emergency {
				where = "emergency changes in " + s.Env
			}
		}
		return Errorf(CodeForbidden, "You are not an approver for %s, so you cannot %s it.", where, d.Action)
	}
	if (d.Action == Approve || d.Action == Waive) && s.FourEyes && d.Actor == n.Requester {
		return Errorf(CodeSelfApproval, "You requested this cycle, and %s needs someone else's approval (four eyes).", s.Name)
	}
	return nil
}

// checkState refuses decisions the cycle's current state does not allow.
func checkState(n *Cycle, s *Stage, d Decision) error {
	if n.Status.Terminal() {
		return Errorf(CodeConflict, "Cycle %s is already %s.", n.ID, n.Status)
	}
	switch d.Action {
	case Waive:
		if n.Status != StatusRunning {
			return Errorf(CodeConflict, "Cycle %s is %s; resume it before waiving.", n.ID, n.Status)
		}
		return checkWaiver(n, s, d)
	case Reject:
		// Reject closes the cycle: at an approval, to abandon a stage that
		// failed and cannot be fixed (a problem that will not clear), or to
		// close a halted cycle at any stage not yet done, whatever it was
		// doing when it stopped.
		halted := n.Status == StatusHalted && s.Phase != PhaseDone
		if !(s.Phase == PhaseApproval && n.Status == StatusRunning) && s.Phase != PhaseFailed && !halted {
			return Errorf(CodeConflict, "%s can be rejected only while awaiting approval, after it failed or while the cycle is halted before it is done (it is %s).", s.Name, s.Phase)
		}
	case Approve:
		if s.Phase != PhaseApproval || n.Status != StatusRunning {
			return Errorf(CodeConflict, "%s is not awaiting approval (it is %s).", s.Name, s.Phase)
		}
		if d.Action == Approve && s.ApprovedBy(d.Actor) {
			return Errorf(CodeConflict, "You already approved %s.", s.Name)
		}
	case HaltCycle:
		if n.Status != StatusRunning {
			return Errorf(CodeConflict, "Cycle %s is already halted.", n.ID)
		}
	case Resume:
		if n.Status != StatusHalted {
			return Errorf(CodeConflict, "Cycle %s is not halted.", n.ID)
		}
		for _, st := range n.Stages {
			if st.Phase == PhaseFailed {
				return Errorf(CodeConflict, "%s failed (%s); choose retry or proceed-with-exclusions instead.", st.Name, st.Failure.Reason)
			}
		}
	case Retry, Exclude:
		if s.Phase != PhaseFailed || s.Failure == nil {
			return Errorf(CodeConflict, "%s has not failed (it is %s).", s.Name, s.Phase)
		}
		if d.Action == Exclude && len(s.Failure.Findings) == 0 {
			return Errorf(CodeConflict, "%s failed without host findings (%s); nothing to exclude. Retry or halt.", s.Name, s.Failure.Reason)
		}
	}
	return nil
}

// resetOp forgets the operation a retried phase will send again (under a
// new tag, since Attempt moved). An operation that was sent but never seen
// finishing (the stage failed because its polls failed) may still be
// running, so it is kept and the retry polls it again: forgetting it sent a
// second backup or patch to the same hosts while the first still ran.
func resetOp(s *Stage, p Phase) {
	var op *Op
	switch p {
	case PhaseBackup:
		op = &s.Backup
	case PhasePatch:
		op = &s.Patch
	default:
		return
	}
	if op.Sent() && !op.Done {
		return
	}
	*op = Op{}
}

// auditRefusal chains a refused decision on the cycle's refusal stream.
func (e *Engine) auditRefusal(ctx context.Context, c *Cycle, d Decision, who Person, reason error) {
	ev := Event{At: e.now(), Cycle: c.ID, Tenant: c.Tenant, Stage: d.Stage, Type: EvRefused,
		Actor: d.Actor, Person: &who, Detail: ErrorMessage(reason),
		Data: map[string]string{"action": string(d.Action), "code": ErrorCode(reason),
			"seen_revision": fmt.Sprint(d.SeenRevision), "revision": fmt.Sprint(c.Revision), "interaction": d.InteractionID}}
	if err := e.appendStanding(ctx, RefusalStream(c.ID), ev, false); err != nil {
		e.log.Error("audit refusal", "cycle", c.ID, "actor", d.Actor, "err", err)
	}
	e.log.Info("decision refused", "cycle", c.ID, "stage", d.Stage, "action", string(d.Action),
		"actor", d.Actor, "code", ErrorCode(reason))
}

// Refusals reads a cycle's refused decisions.
func (e *Engine) Refusals(ctx context.Context, id string) ([]Event, error) {
	return e.readEvents(ctx, RefusalStream(id))
}

func describe(ev Event) string {
	s := ev.Type
	if ev.Stage != "" {
		s = ev.Stage + " " + s
	}
	if ev.Detail != "" {
		s += ": " + ev.Detail
	}
	return s
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
