package runbooks

import (
	"fmt"
	"strings"
	"time"
)

// StatusExpired closes a cycle whose stage was not approved within its
// tier's approval TTL: nothing more is patched.
const StatusExpired Status = "expired"

// DefaultApprovalTTL is how long an approval request stays open when the
// tier does not say (AWS Systems Manager's aws:approve waits as long).
const DefaultApprovalTTL = 7 * 24 * time.Hour

// Approval expiry events.
const (
	EvApprovalReminder = "approval.reminder" // half the TTL passed: the approvers are mentioned
	EvCycleExpired     = "cycle.expired"     // the TTL passed: the cycle is closed
)

// approvalDeadline is what Next does with stage i awaiting approval: remind
// once at half its TTL, close the cycle at the TTL, else wait for the
// approvers (until the next of the two).
func (s *Stage) approvalDeadline(i int, now time.Time) (Action, bool) {
	if s.ApprovalTTL <= 0 || s.Started.IsZero() {
		return Action{}, false
	}
	expires := s.Started.Add(s.ApprovalTTL)
	half := s.Started.Add(s.ApprovalTTL / 2)
	switch {
	case !now.Before(expires):
		return Action{Kind: ActExpire, Stage: i}, true
	case s.Reminded.IsZero() && !now.Before(half):
		return Action{Kind: ActRemind, Stage: i}, true
	}
	until := expires
	if s.Reminded.IsZero() {
		until = half
	}
	return Action{Kind: ActWait, Stage: i, Until: until,
		Reason: fmt.Sprintf("awaiting approval %d/%d, expires %s", len(s.Approvals), s.MinApprovals, expires.UTC().Format("2006-01-02 15:04 UTC"))}, true
}

// remind records the half-time reminder of stage i, naming the tier's
// approvers and groups so the chat can mention them.
func (e *Engine) remind(n *Cycle, i int, now time.Time) {
	s := &n.Stages[i]
	s.Reminded = now
	spec, _ := e.pipeline.Spec(s.Env)
	expires := s.Started.Add(s.ApprovalTTL)
	n.emit(now, s.Name, EvApprovalReminder, ActorSystem,
		fmt.Sprintf("approval of %s expires %s (%d/%d approvals so far); after that the cycle closes and nothing more is patched",
			s.Name, expires.UTC().Format("2006-01-02 15:04 UTC"), len(s.Approvals), s.MinApprovals),
		map[string]string{"approvers": strings.Join(spec.Approvers, " "), "groups": strings.Join(spec.Groups, " "),
			"expires": expires.UTC().Format(time.RFC3339)})
}

// expire closes the cycle: stage i's approval TTL passed.
func (c *Cycle) expire(i int, now time.Time) {
	s := &c.Stages[i]
	c.Status, c.Ended = StatusExpired, now
	c.emit(now, s.Name, EvCycleExpired, ActorSystem,
		fmt.Sprintf("approval of %s expired after %s with %d/%d approvals; the cycle is closed and %s was not patched",
			s.Name, ttlText(s.ApprovalTTL), len(s.Approvals), s.MinApprovals, s.Name),
		map[string]string{"ttl": s.ApprovalTTL.String(), "approvals": fmt.Sprint(len(s.Approvals))})
}

// ttlText says a TTL in whole days when it is some, else as ForPeople.
func ttlText(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return ForPeople(d)
}
