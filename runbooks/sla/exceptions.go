package sla

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// SLA audit event types.
const (
	EventBreachPaged        = "sla.breach.paged"
	EventExceptionRequested = "sla.exception.requested"
	EventExceptionApproved  = "sla.exception.approved" // one approval; Exception.Status says whether it took effect
	EventExceptionRejected  = "sla.exception.rejected"
	EventExceptionReminded  = "sla.exception.reminded"
	EventExceptionLapsed    = "sla.exception.lapsed"
)

// ExceptionRequest is what `/patch except` and `patchgate sla except` ask.
type ExceptionRequest struct {
	Tenant  string
	Target  string // "host:<id or name>", "patch:<id>" or a CVE ID
	Until   time.Time
	Reason  string
	Control string // the compensating control
	Actor   string // the requester's chat user ID
}

// ParseTarget splits an exception target into scope and name: a CVE ID
// stands alone, hosts and patches carry their prefix.
func ParseTarget(s string) (scope, target string, err error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(strings.ToUpper(s), "CVE-"):
		return ScopeCVE, strings.ToUpper(s), nil
	case strings.HasPrefix(s, "host:") && len(s) > 5:
		return ScopeHost, s[5:], nil
	case strings.HasPrefix(s, "patch:") && len(s) > 6:
		return ScopePatch, s[6:], nil
	}
	return "", "", runbooks.Errorf(runbooks.CodeInvalid, "Say what the exception covers: host:<id>, patch:<id> or a CVE ID (got %q).", s)
}

// RequestException records a pending exception; it takes effect when risk
// approvers other than the requester approve it.
func (s *Service) RequestException(ctx context.Context, r ExceptionRequest) (*Exception, error) {
	now := s.now()
	scope, target, err := ParseTarget(r.Target)
	if err != nil {
		return nil, err
	}
	switch {
	case !s.known(r.Tenant):
		return nil, runbooks.Errorf(runbooks.CodeNotFound, "There is no tenant %s.", r.Tenant)
	case strings.TrimSpace(r.Reason) == "":
		return nil, runbooks.Errorf(runbooks.CodeInvalid, "An exception needs a reason.")
	case strings.TrimSpace(r.Control) == "":
		return nil, runbooks.Errorf(runbooks.CodeInvalid, "An exception needs a compensating control (… control: <what stands in for the patch>).")
	case !r.Until.After(now):
		return nil, runbooks.Errorf(runbooks.CodeInvalid, "The exception's end %s is not in the future.", r.Until.Format(time.DateOnly))
	case s.MaxExceptionDays > 0 && r.Until.After(now.Add(time.Duration(s.MaxExceptionDays)*Day)):
		return nil, runbooks.Errorf(runbooks.CodeInvalid, "An exception may run at most %d days (until %s).", s.MaxExceptionDays, now.Add(time.Duration(s.MaxExceptionDays)*Day).Format(time.DateOnly))
	}
	x := &Exception{ID: newID(), Tenant: r.Tenant, Scope: scope, Target: target, Until: r.Until, Reason: strings.TrimSpace(r.Reason),
		Control: strings.TrimSpace(r.Control), RequestedBy: s.person(ctx, r.Actor), RequestedAt: now, Status: ExceptionPending}
	if _, err := s.Store.Create(ctx, exceptionPrefix+x.ID, mustJSON(x)); err != nil {
		return nil, fmt.Errorf("store exception %s: %w", x.ID, err)
	}
	if err := appendAudit(ctx, s.Store, auditEvent{Type: EventExceptionRequested, Tenant: x.Tenant, Exception: x, Actor: r.Actor, At: now}); err != nil {
		return x, runbooks.Errorf(runbooks.CodeUnavailable, "The exception %s was saved but its audit entry was not; tell the platform team.", x.ID)
	}
	return x, nil
}

// ApproveException records actor's approval. The actor must be a risk
// approver and not the requester (four eyes); the exception takes effect
// with the MinApprovals-th approval. dup is true when actor had approved.
func (s *Service) ApproveException(ctx context.Context, id, actor string) (x *Exception, dup bool, err error) {
	return s.decideException(ctx, id, actor, true)
}

// RejectException closes a pending exception; the actor must be a risk
// approver (the requester may withdraw their own).
func (s *Service) RejectException(ctx context.Context, id, actor string) (*Exception, error) {
	x, _, err := s.decideException(ctx, id, actor, false)
	return x, err
}

func (s *Service) decideException(ctx context.Context, id, actor string, approve bool) (*Exception, bool, error) {
	now := s.now()
	cur, ok, err := readJSON[Exception](ctx, s.Store, exceptionPrefix+id)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		return nil, false, runbooks.Errorf(runbooks.CodeNotFound, "There is no exception %s.", id)
	}
	withdraw := !approve && cur.RequestedBy.ID == actor
	if !withdraw {
		may, err := runbooks.Approves(ctx, s.Directory, s.RiskApprovers, s.RiskGroups, actor)
		if err != nil {
			return nil, false, runbooks.Errorf(runbooks.CodeUnavailable, "Could not check the risk approver groups; nothing was decided. Try again shortly.")
		}
		if !may {
			return nil, false, runbooks.Errorf(runbooks.CodeForbidden, "You are not a risk approver; only sla.risk_approvers may decide exceptions.")
		}
	}
	if approve && cur.RequestedBy.ID == actor {
		return nil, false, runbooks.Errorf(runbooks.CodeForbidden, "You requested this exception; another risk approver must approve it (four eyes).")
	}
	who := s.person(ctx, actor)
	var dup bool
	x, err := state.ModifyJSON(ctx, s.Store, exceptionPrefix+id, func(cur *Exception) (*Exception, error) {
		switch {
		case cur == nil:
			return nil, runbooks.Errorf(runbooks.CodeNotFound, "There is no exception %s.", id)
		case approve && slices.ContainsFunc(cur.Approvals, func(a Approval) bool { return a.By.ID == actor }):
			dup = true
			return nil, nil
		case cur.Status != ExceptionPending && !(approve && cur.Status == ExceptionApproved):
			return nil, runbooks.Errorf(runbooks.CodeConflict, "Exception %s is %s; nothing to decide.", id, cur.Status)
		case !now.Before(cur.Until):
			return nil, runbooks.Errorf(runbooks.CodeConflict, "Exception %s ended on %s; request a new one.", id, cur.Until.Format(time.DateOnly))
		}
		next := *cur
		if !approve {
			next.Status, next.RejectedBy, next.ClosedAt = ExceptionRejected, actor, now
			return &next, nil
		}
		next.Approvals = append(slices.Clone(cur.Approvals), Approval{By: who, At: now})
		if len(next.Approvals) >= max(1, s.MinApprovals) {
			next.Status = ExceptionApproved
		}
		return &next, nil
	})
	if err != nil || dup {
		if dup {
			x, _, err = readJSON[Exception](ctx, s.Store, exceptionPrefix+id)
		}
		return x, dup, err
	}
	typ := EventExceptionApproved
	if !approve {
		typ = EventExceptionRejected
	}
	if err := appendAudit(ctx, s.Store, auditEvent{Type: typ, Tenant: x.Tenant, Exception: x, Actor: actor, At: now}); err != nil {
		return x, false, runbooks.Errorf(runbooks.CodeUnavailable, "The decision was saved but its audit entry was not; tell the platform team.")
	}
	return x, false, nil
}

// Exceptions lists a tenant's exceptions (every tenant's for ""), newest
// request first.
func (s *Service) Exceptions(ctx context.Context, tenant string) ([]Exception, error) {
	recs, err := s.Store.List(ctx, exceptionPrefix)
	if err != nil {
		return nil, fmt.Errorf("list exceptions: %w", err)
	}
	var out []Exception
	for _, r := range recs {
		x, err := decode[Exception](r)
		if err != nil {
			return nil, err
		}
		if tenant == "" || x.Tenant == tenant {
			out = append(out, x)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RequestedAt.After(out[j].RequestedAt) })
	return out, nil
}

// maintainExceptions lapses exceptions whose end passed (audited, by
// patchgate), reminds of approved ones ending within ReminderDays, and
// returns them all for the scan's evaluation.
func (s *Service) maintainExceptions(ctx context.Context, now time.Time) (all, lapsed, reminded []Exception, err error) {
	all, err = s.Exceptions(ctx, "")
	if err != nil {
		return nil, nil, nil, err
	}
	var errs []error
	for i := range all {
		x := &all[i]
		open := x.Status == ExceptionApproved || x.Status == ExceptionPending
		switch {
		case open && !now.Before(x.Until):
			next, err := s.transition(ctx, x.ID, func(cur *Exception) bool {
				if cur.Status != ExceptionApproved && cur.Status != ExceptionPending {
					return false
				}
				cur.Status, cur.ClosedAt = ExceptionLapsed, now
				return true
			})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if next == nil {
				continue
			}
			*x = *next
			lapsed = append(lapsed, *x)
			if err := appendAudit(ctx, s.Store, auditEvent{Type: EventExceptionLapsed, Tenant: x.Tenant, Exception: x, Actor: runbooks.ActorSystem, At: now}); err != nil {
				errs = append(errs, err)
			}
		case x.Status == ExceptionApproved && s.ReminderDays > 0 && x.Until.Sub(now) <= time.Duration(s.ReminderDays)*Day && !x.Reminded.Equal(x.Until):
			if s.Chat != nil {
				if err := s.Chat.ExceptionReminder(ctx, *x); err != nil {
					errs = append(errs, fmt.Errorf("remind of exception %s: %w", x.ID, err))
					continue
				}
			}
			next, err := s.transition(ctx, x.ID, func(cur *Exception) bool {
				if cur.Reminded.Equal(cur.Until) {
					return false
				}
				cur.Reminded = cur.Until
				return true
			})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if next == nil {
				continue
			}
			*x = *next
			reminded = append(reminded, *x)
			if err := appendAudit(ctx, s.Store, auditEvent{Type: EventExceptionReminded, Tenant: x.Tenant, Exception: x, Actor: runbooks.ActorSystem, At: now}); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return all, lapsed, reminded, errors.Join(errs...)
}

// transition applies change to a stored exception with compare-and-swap;
// nil when change declined (another replica got there first).
func (s *Service) transition(ctx context.Context, id string, change func(*Exception) bool) (*Exception, error) {
	var declined bool
	x, err := state.ModifyJSON(ctx, s.Store, exceptionPrefix+id, func(cur *Exception) (*Exception, error) {
		if cur == nil {
			declined = true
			return nil, nil
		}
		next := *cur
		if !change(&next) {
			declined = true
			return nil, nil
		}
		return &next, nil
	})
	if err != nil {
		return nil, fmt.Errorf("update exception %s: %w", id, err)
	}
	if declined {
		return nil, nil
	}
	return x, nil
}

// person resolves a chat user for the evidence; the ID stands alone when
// the directory cannot say.
func (s *Service) person(ctx context.Context, id string) runbooks.Person {
	if s.Directory == nil || id == "" {
		return runbooks.Person{ID: id}
	}
	p, err := s.Directory.Person(ctx, id)
	if err != nil {
		return runbooks.Person{ID: id, Unresolved: err.Error()}
	}
	return p
}

func newID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "exc-" + hex.EncodeToString(b[:])
}
