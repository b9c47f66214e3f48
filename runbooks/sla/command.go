package sla

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// Usage lines of the SLA commands, the same in Slack and on the CLI.
const (
	PostureUsage = "posture [tenant] | posture scan"
	ExceptUsage  = "except <tenant> <host:ID|patch:ID|CVE-ID> <YYYY-MM-DD> <reason…> control: <compensating control…> | except approve|reject <id> | except list [tenant]"
)

// Posture answers `/patch posture [tenant]` and `patchgate sla posture`:
// the latest scan's posture, or, for "scan", a scan now (not the daily
// claimed one; it stores and pages the same way).
func (s *Service) Posture(ctx context.Context, args []string) (string, error) {
	switch {
	case len(args) == 1 && args[0] == "scan":
		p, err := s.Scan(ctx)
		if len(p.Tenants) == 0 {
			return "", err
		}
		return PostureText(p.Tenants), err
	case len(args) > 1:
		return "", runbooks.Errorf(runbooks.CodeInvalid, "Usage: %s", PostureUsage)
	}
	tenant := ""
	if len(args) == 1 {
		tenant = args[0]
	}
	snaps, err := s.Latest(ctx, tenant)
	if err != nil {
		return "", err
	}
	return PostureText(snaps), nil
}

// Except answers `/patch except …` and `patchgate sla except …` for actor.
func (s *Service) Except(ctx context.Context, args []string, actor string) (string, error) {
	if len(args) == 0 {
		return "", runbooks.Errorf(runbooks.CodeInvalid, "Usage: %s", ExceptUsage)
	}
	switch args[0] {
	case "approve", "reject":
		if len(args) != 2 {
			return "", runbooks.Errorf(runbooks.CodeInvalid, "Usage: except %s <id>", args[0])
		}
		if args[0] == "reject" {
			x, err := s.RejectException(ctx, args[1], actor)
			if err != nil {
				return "", err
			}
			return "Rejected: " + ExceptionLine(*x), nil
		}
		x, dup, err := s.ApproveException(ctx, args[1], actor)
		switch {
		case err != nil:
			return "", err
		case dup:
			return "You had already approved it: " + ExceptionLine(*x), nil
		case x.Status == ExceptionApproved:
			return "Approved; in force now: " + ExceptionLine(*x), nil
		}
		return fmt.Sprintf("Approval recorded (%d of %d): %s", len(x.Approvals), max(1, s.MinApprovals), ExceptionLine(*x)), nil
	case "list":
		tenant := ""
		if len(args) > 1 {
			tenant = args[1]
		}
		xs, err := s.Exceptions(ctx, tenant)
		if err != nil {
			return "", err
		}
		if len(xs) == 0 {
			return "No exceptions.", nil
		}
		lines := make([]string, len(xs))
		for i, x := range xs {
			lines[i] = "• " + ExceptionLine(x)
		}
		return strings.Join(lines, "\n"), nil
	}
	r, err := ParseExceptArgs(args, actor)
	if err != nil {
		return "", err
	}
	x, err := s.RequestException(ctx, r)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Requested: %s\nA risk approver other than you approves it with `except approve %s`.", ExceptionLine(*x), x.ID), nil
}

// ParseExceptArgs reads `<tenant> <target> <until> <reason…> control:
// <control…>`; until is a UTC day, and the exception ends at its end.
func ParseExceptArgs(args []string, actor string) (ExceptionRequest, error) {
	if len(args) < 4 {
		return ExceptionRequest{}, runbooks.Errorf(runbooks.CodeInvalid, "Usage: %s", ExceptUsage)
	}
	until, err := time.Parse(time.DateOnly, args[2])
	if err != nil {
		return ExceptionRequest{}, runbooks.Errorf(runbooks.CodeInvalid, "%q is not a day like 2027-03-31.", args[2])
	}
	rest := strings.Join(args[3:], " ")
	i := strings.Index(strings.ToLower(rest), "control:")
	if i < 0 {
		return ExceptionRequest{}, runbooks.Errorf(runbooks.CodeInvalid, "Name the compensating control after `control:`. Usage: %s", ExceptUsage)
	}
	return ExceptionRequest{Tenant: args[0], Target: args[1], Until: until.Add(Day), Reason: strings.TrimSpace(rest[:i]),
		Control: strings.TrimSpace(rest[i+len("control:"):]), Actor: actor}, nil
}
